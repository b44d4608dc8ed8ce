"""A portfolio request's liquidity fields (docs/portfolios.md, "Liquidity"): hostile values
are 400s naming the field, fields at their defaults are left out of the normalised request
(so it computes what it computed before them), a portfolio of rules refuses them, and a Job
computes each ticker's volume and ADV on its own bars: on a hand-made universe with a thin
name, the ADV cap holds that name at its cap and the volume limit spreads its buying over
several bars."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import data
from engine import Bars
from engine.portfolio import PortfolioConfig
from kinds.portfolios.compute import build_result, result_json, simulate
from kinds.portfolios.describe import construction
from kinds.portfolios.request_model import LIQUIDITY_DEFAULTS, parse_portfolio
from kinds.portfolios.search import apply, space, suggested_space
from kinds.portfolios.universe import aligned
from tests.portfolios.support import valid_portfolio
from tests.portfolios.test_portfolio_fuzz_point_in_time import HOSTILE
from work.errors import RequestError

BAD = [
    ("volume_limit", 0),
    ("volume_limit", -0.1),
    ("volume_limit", 1.01),
    ("volume_limit", "all"),
    ("volume_limit", 1e308),
    ("slippage_model", "linear"),
    ("slippage_model", None),
    ("price_impact", -1),
    ("price_impact", 5),
    ("impact_k", 1e9),
    ("impact_window", 1),
    ("impact_window", 20.5),
    ("impact_window", 10**9),
    ("spread_bps", -5),
    ("spread_bps", 10_000),
    ("spread_model", "roll"),
    ("spread_window", 0),
    ("max_adv_participation", 0),
    ("max_adv_participation", -2),
    ("max_adv_participation", 1e6),
    ("max_adv_participation", [1]),
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_a_hostile_liquidity_value_is_a_400_naming_its_field(field, value):
    with pytest.raises(RequestError) as caught:
        parse_portfolio(valid_portfolio(**{field: value}))
    assert caught.value.field == field


def test_a_non_finite_value_is_a_400_naming_its_field():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(RequestError) as caught:
            parse_portfolio(valid_portfolio(volume_limit=value))
        assert caught.value.field == "volume_limit"


def test_a_spread_given_twice_is_a_400_naming_spread_model():
    body = valid_portfolio(spread_bps=5, spread_model="corwin_schultz")
    with pytest.raises(RequestError) as caught:
        parse_portfolio(body)
    assert caught.value.field == "spread_model"


def test_a_portfolio_of_rules_refuses_the_liquidity_fields():
    body = valid_portfolio(
        allocation={"method": "rules"},
        params={},
        strategy={"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 20}},
        volume_limit=0.1,
    )
    with pytest.raises(RequestError) as caught:
        parse_portfolio(body)
    assert caught.value.field == "volume_limit"


def test_fields_at_their_defaults_are_left_out_of_the_normalised_request():
    """Every liquidity field sent at its default normalises to the request without them;
    one set is kept (as a float where it is one)."""
    plain = parse_portfolio(valid_portfolio())
    assert parse_portfolio(valid_portfolio(**LIQUIDITY_DEFAULTS)) == plain
    assert not set(LIQUIDITY_DEFAULTS) & set(plain)
    limited = parse_portfolio(valid_portfolio(volume_limit=1, impact_window=30))
    assert limited["volume_limit"] == 1.0 and isinstance(limited["volume_limit"], float)
    assert limited["impact_window"] == 30


# --- a hand-made universe: a thin name and a liquid one --------------------------------

N_BARS, WARM = 40, 10
"""Bars of each file; the window starts at the 11th (the first 10 warm the ADV up)."""


def _bars(price: float, volume: float) -> Bars:
    stamps = (pd.bdate_range("2021-01-04", periods=N_BARS) + pd.Timedelta(hours=21)).values
    ones = np.ones(N_BARS)
    return Bars(stamps.astype("datetime64[s]"), price * ones, price * ones, price * ones,
                price * ones, volume * ones)  # fmt: skip


def _universe():
    """THIN at 10 trading 200 shares a day, DEEP at 20 trading 10 million."""
    loaded = [
        data.History(_bars(10.0, 200.0), WARM, N_BARS, "", "THIN", Path("THIN")),
        data.History(_bars(20.0, 1e7), WARM, N_BARS, "", "DEEP", Path("DEEP")),
    ]
    return aligned(loaded)[0]


def _request(**fields):
    body = valid_portfolio(
        tickers=["THIN", "DEEP"],
        start_date="2021-01-18",
        end_date="2021-03-01",
        fee_rate=0.0,
        allocation={"method": "equal"},
        params={},
        rebalance={"schedule": "monthly"},
        **fields,
    )
    return parse_portfolio(body)


def test_the_adv_cap_holds_a_thin_name_at_its_cap_and_the_cut_stays_cash():
    """Half of 100,000 in each: THIN's 5,000 shares are capped at 2 × its ADV of 200 =
    400 (its ADV read from the bars before the window at the first fill); DEEP keeps its
    2,500; the 46,000 THIN could not take stays cash."""
    universe = _universe()
    result = simulate(_request(max_adv_participation=2.0, impact_window=5), universe)
    assert result.shares[1].tolist() == [400, 2500]
    assert result.cash[1] == pytest.approx(46_000.0)
    plain = simulate(_request(), universe)
    assert plain.shares[1].tolist() == [5000, 2500]


def test_the_volume_limit_spreads_a_thin_name_s_buying_over_its_bars():
    """10 % of THIN's 200 shares a bar: 20 a bar from the first fill on, carried until
    the next month's rebalance; DEEP fills whole; the result says how much was left."""
    universe = _universe()
    request = _request(volume_limit=0.1)
    result = simulate(request, universe)
    thin = result.orders.asset == 0
    assert set(result.orders.shares[thin].tolist()) == {20}
    assert np.diff(result.shares[1:, 0]).max() == 20
    stored = build_result("id", request, universe, result, 20_000)
    summary = stored["liquidity"]
    assert summary["partly_filled"] >= 1
    assert 0.0 < summary["unfilled_pct"] < 100.0
    assert summary["filled_shares"] == int(np.abs(result.rebalance_orders.filled).sum())


def test_a_request_without_the_fields_has_no_liquidity_block_and_equals_its_defaults():
    universe = _universe()
    plain = _request()
    explicit = _request(**LIQUIDITY_DEFAULTS)
    texts = [
        result_json(build_result("id", r, universe, simulate(r, universe), 20_000))
        for r in (plain, explicit)
    ]
    assert texts[0] == texts[1]
    assert "liquidity" not in json.loads(texts[0])


def test_the_liquidity_fields_are_searchable_and_offered_once_the_base_sets_them():
    """A sweep may vary ``volume_limit`` from a base without it (each point a request of
    its own); a study offers the fields its base sets, not the others."""
    base = parse_portfolio(valid_portfolio())
    assert space(base)["volume_limit"].default is None
    point = apply(base, {"volume_limit": 0.05, "max_adv_participation": 0.5})
    assert (point["volume_limit"], point["max_adv_participation"]) == (0.05, 0.5)
    assert "volume_limit" not in {entry["name"] for entry in suggested_space(base)}
    limited = parse_portfolio(valid_portfolio(volume_limit=0.1))
    offered = {entry["name"]: entry for entry in suggested_space(limited)}
    assert offered["volume_limit"]["default"] == 0.1
    assert "price_impact" not in offered
    with pytest.raises(RequestError) as caught:
        apply(base, {"volume_limit": 2.0})
    assert caught.value.field == "grid.volume_limit"


def test_the_list_and_the_page_say_the_liquidity_a_request_sets():
    request = parse_portfolio(
        valid_portfolio(
            volume_limit=0.025,
            max_adv_participation=0.5,
            slippage_model="volume_share",
            spread_bps=10,
        )
    )
    assert construction(request)[-4:] == [
        "volume limit 2.5%",
        "max 0.5x ADV",
        "volume_share impact 0.1",
        "spread 10 bps",
    ]
    assert not any("ADV" in phrase for phrase in construction(parse_portfolio(valid_portfolio())))


VALUES = st.one_of(
    HOSTILE,
    st.sampled_from(["fixed", "volume_share", "square_root", "corwin_schultz", "abdi_ranaldo"]),
)
"""The point-in-time fuzz's hostile JSON values, and the models' names."""


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(list(LIQUIDITY_DEFAULTS)), VALUES, max_size=4))
def test_any_liquidity_values_are_accepted_or_a_400_naming_one_of_them(fields):
    """Whatever is sent in the liquidity fields, the request parses (and its config
    builds) or is refused naming one of the fields sent."""
    try:
        request = parse_portfolio(valid_portfolio(**fields))
    except RequestError as exc:
        assert exc.field in fields
        return
    PortfolioConfig(
        initial_capital=1.0, **{k: request[k] for k in LIQUIDITY_DEFAULTS if k in request}
    )
