"""Caps and the minimum trade in a portfolio request (docs/portfolios.md): a ticker cap and a
sector cap (sectors from the catalog) hold at every fill of the demo universe, the minimum
trade cuts the number of orders, bad values are 400s naming the field, and searches vary them."""

from __future__ import annotations

import numpy as np
import pytest

from data.demo_universe import UNIVERSE
from kinds.portfolios.compute import simulate
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import apply, space
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

TECH_AND_HEALTH = [m.ticker for m in UNIVERSE if m.sector in ("Technology", "Health Care")]
NO_SECTOR = ["ACME", "GLOBEX"]
"""Demo tickers without a catalog sector: no sector cap applies to them."""


def _request(allocation: dict, rebalance: dict | None = None) -> dict:
    body = valid_portfolio(
        tickers=TECH_AND_HEALTH + NO_SECTOR,
        allocation=allocation,
        rebalance=rebalance or {"schedule": "monthly"},
        params={},
    )
    return parse_portfolio(body)


def _fill_weights(request: dict) -> tuple[np.ndarray, tuple]:
    """Each holding's weight at the open of every fill bar, of the value orders were sized
    from, and the universe's sectors."""
    universe = load_universe(request, None)
    result = simulate(request, universe)
    bars = np.unique(result.orders.bar)
    opened = np.nan_to_num(universe.open[bars])
    value = result.cash[bars - 1] + (result.shares[bars - 1] * opened).sum(axis=1)
    return result.shares[bars] * opened / value[:, None], universe.sectors


def test_defaults_are_no_caps_and_no_minimum_trade():
    request = _request({"method": "equal"})
    assert request["allocation"]["max_weight"] is None
    assert request["allocation"]["max_sector_weight"] is None
    assert request["rebalance"]["min_trade"] == 0.0


def test_a_sector_cap_holds_at_every_fill_and_the_excess_goes_to_the_others():
    """12 tickers equal-weighted: Technology and Health Care would hold 5/12 each; capped
    at 30 %, the two tickers without a sector take the rest (20 % each)."""
    weights, sectors = _fill_weights(_request({"method": "equal", "max_sector_weight": 0.3}))
    for sector in ("Technology", "Health Care"):
        members = np.array([s == sector for s in sectors])
        assert np.all(weights[:, members].sum(axis=1) <= 0.3 + 0.01)  # whole shares
    unknown = np.array([s is None for s in sectors])
    assert weights[-1, unknown] == pytest.approx([0.2, 0.2], abs=0.01)  # all 12 listed


def test_a_ticker_cap_holds_at_every_fill():
    allocation = {"method": "rank", "score": "roc(close, 60)", "top_n": 3,
                  "weighting": "inverse_volatility", "max_weight": 0.25}  # fmt: skip
    weights, _ = _fill_weights(_request(allocation))
    assert weights.max() <= 0.25 + 0.005
    assert weights.sum(axis=1).max() <= 0.75 + 0.005  # three at most, the rest in cash


def test_a_minimum_trade_leaves_out_small_rebalancing_orders():
    every = simulate(_request({"method": "equal"}), load_universe(_request({"method": "equal"})))
    request = _request({"method": "equal"}, {"schedule": "monthly", "min_trade": 0.01})
    fewer = simulate(request, load_universe(request))
    assert 0 < len(fewer.orders) < len(every.orders) / 2


@pytest.mark.parametrize(
    ("allocation", "rebalance", "field"),
    [
        ({"method": "equal", "max_weight": 0}, None, "allocation.max_weight"),
        ({"method": "equal", "max_sector_weight": 1.5}, None, "allocation.max_sector_weight"),
        ({"method": "equal"}, {"min_trade": -0.1}, "rebalance.min_trade"),
        ({"method": "equal"}, {"min_trade": 0.9}, "rebalance.min_trade"),
    ],
)
def test_a_bad_cap_or_minimum_trade_is_refused_naming_its_field(allocation, rebalance, field):
    with pytest.raises(RequestError) as caught:
        _request(allocation, rebalance)
    assert caught.value.field == field


def test_a_search_varies_the_caps_and_the_minimum_trade():
    base = _request({"method": "equal"})
    assert {"max_weight", "max_sector_weight", "min_trade"} <= set(space(base))
    point = apply(base, {"max_weight": 0.1, "max_sector_weight": 0.35, "min_trade": 0.02})
    assert point["allocation"]["max_weight"] == 0.1
    assert point["allocation"]["max_sector_weight"] == 0.35
    assert point["rebalance"]["min_trade"] == 0.02
