"""A long-short portfolio request (docs/portfolios.md): ``short_n`` with gross and net
exposure on a ranking, its defaults (100 % a side), the 400s naming the field, the demo data
computed with shorts (a book under 100 % gross holding the rest in cash), every exposure the
request accepts computed as a Job computes it, and the search names that vary it."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.demo_universe import UNIVERSE
from kinds.portfolios.compute import simulate
from kinds.portfolios.describe import default_label
from kinds.portfolios.kind import PORTFOLIO
from kinds.portfolios.request_model import MAX_LEVERAGE, MAX_TARGET_VOLATILITY, parse_portfolio
from kinds.portfolios.search import apply, space, suggested_space
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError
from work.kind import Claim

TICKERS = [member.ticker for member in UNIVERSE][:12]
RANK = {"method": "rank", "score": "roc(close, 60)", "top_n": 3}


def _request(**allocation) -> dict:
    return parse_portfolio(
        valid_portfolio(tickers=TICKERS, allocation={**RANK, **allocation}, params={})
    )


def test_a_long_short_book_defaults_to_100_percent_a_side_and_long_only_to_none():
    book = _request(short_n=3)["allocation"]
    assert (book["short_n"], book["gross_exposure"], book["net_exposure"]) == (3, 2.0, 0.0)
    plain = _request()["allocation"]
    assert (plain["short_n"], plain["gross_exposure"], plain["net_exposure"]) == (None,) * 3


def _exposures(request: dict) -> tuple[np.ndarray, np.ndarray]:
    """(gross, net) the demo book holds at the open of each fill after bar 60 (once the
    60-day score ranks every ticker), per unit of the value it was sized from."""
    universe = load_universe(request)
    result = simulate(request, universe)
    bars = np.unique(result.orders.bar)
    bars = bars[bars > 60]
    opened = np.nan_to_num(universe.open[bars])
    value = result.cash[bars - 1] + (result.shares[bars - 1] * opened).sum(axis=1)
    held = result.shares[bars] * opened
    assert (result.shares < 0).any()
    return np.abs(held).sum(axis=1) / value, held.sum(axis=1) / value


def test_the_demo_book_holds_shorts_and_its_gross_exposure_at_each_fill():
    request = _request(
        short_n=3, gross_exposure=1.6, net_exposure=1.0, weighting="inverse_volatility"
    )
    gross, net = _exposures(request)
    assert np.all(np.abs(gross - 1.6) < 0.02) and np.all(np.abs(net - 1.0) < 0.02)


@pytest.mark.parametrize(("gross", "net"), [(0.5, 0.0), (0.5, 0.3)])
def test_a_book_under_100_percent_gross_holds_its_exposures_and_the_rest_in_cash(gross, net):
    """(gross + net) / 2 long and (gross - net) / 2 short of the value at each fill (within
    the whole shares): 25 % a side for gross 0.5, net 0; 40 % long and 10 % short for net
    0.3. The Job computes it."""
    request = _request(short_n=3, gross_exposure=gross, net_exposure=net)
    held_gross, held_net = _exposures(request)
    assert np.all(np.abs(held_gross - gross) < 0.02) and np.all(np.abs(held_net - net) < 0.02)
    request["portfolio_id"] = "p"
    result = PORTFOLIO.compute(Claim("p", "test", time.time()), request).result
    assert result["request"]["allocation"]["gross_exposure"] == gross


ACCEPTED_GROSS = st.floats(min_value=0.0, max_value=MAX_LEVERAGE, exclude_min=True)
SIDE = st.floats(min_value=-1.0, max_value=1.0)
"""A gross exposure the request accepts, and the net as a fraction of it (|net| <= gross)."""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    gross=ACCEPTED_GROSS,
    side=SIDE,
    volatility=st.none() | st.floats(min_value=0.01, max_value=MAX_TARGET_VOLATILITY),
    leverage=st.floats(min_value=1.0, max_value=MAX_LEVERAGE),
)
def test_every_exposure_the_request_accepts_computes_as_a_job_computes_it(
    gross, side, volatility, leverage
):
    """What the request model accepts for gross and net exposure (with or without a
    volatility target levering the book up to its max_leverage) is computed by the Job's
    own compute, never an internal error."""
    allocation = {"short_n": 3, "gross_exposure": gross, "net_exposure": side * gross}
    if volatility is not None:
        allocation |= {"target_volatility": volatility, "max_leverage": leverage}
    body = valid_portfolio(
        tickers=TICKERS,
        allocation={**RANK, **allocation},
        params={},
        start_date="2019-01-01",
        end_date="2019-12-31",
    )
    request = parse_portfolio(body) | {"portfolio_id": "p"}
    result = PORTFOLIO.compute(Claim("p", "test", time.time()), request).result
    assert len(result["equity"]) == len(result["timestamps"]) > 200
    assert np.isfinite(result["equity"]).all()


@pytest.mark.parametrize(
    ("allocation", "field"),
    [
        ({"short_n": 0}, "allocation.short_n"),
        ({"short_n": 2, "gross_exposure": 1.0, "net_exposure": 1.5}, "allocation.net_exposure"),
        ({"short_n": 2, "gross_exposure": 5.0}, "allocation.gross_exposure"),
    ],
)
def test_a_bad_long_short_field_is_refused_naming_it(allocation, field):
    with pytest.raises(RequestError) as caught:
        _request(**allocation)
    assert caught.value.field == field


def test_short_n_is_for_a_ranking_only():
    body = valid_portfolio(tickers=TICKERS, allocation={"method": "equal", "short_n": 2}, params={})
    with pytest.raises(RequestError) as caught:
        parse_portfolio(body)
    assert caught.value.field == "allocation.short_n"


def test_a_search_varies_the_book():
    base = _request(short_n=3)
    assert {"short_n", "gross_exposure", "net_exposure"} <= set(space(base))
    point = apply(base, {"short_n": 2, "net_exposure": 0.5})
    assert (point["allocation"]["short_n"], point["allocation"]["net_exposure"]) == (2, 0.5)
    assert "short_n" not in {entry["name"] for entry in suggested_space(_request())}


def test_the_default_label_names_the_book_its_weighting_and_its_volatility_target():
    book = _request(short_n=2, weighting="equal_risk_contribution", target_volatility=0.1)
    assert default_label(book) == (
        "rank top 3 short 2 risk parity by roc(close, 60) · 10% volatility · monthly · 12 tickers"
    )
