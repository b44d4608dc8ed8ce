"""adapters.exposure: a run's average exposure and buy and hold at that exposure, worked out
by hand on a five-bar run, and carried into a run's result and metrics."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.benchmark import buy_and_hold
from adapters.exposure import (
    at_exposure,
    average_exposure_pct,
    exposed_equity,
    invested_fraction,
    portfolio_exposure_pct,
)
from adapters.metrics import enhanced_metrics
from adapters.trades import trade_records
from engine import TradingParams, run
from kinds.runs.contract import parse_request
from kinds.runs.execute import assemble
from tests.adapters.support import make_bars

CLOSE = [10.0, 10.0, 20.0, 20.0, 20.0]
"""Opens equal the closes: an entry on bar 0 buys at 10 on bar 1, an exit on bar 2 sells at
20 on bar 3."""

ENTRIES = np.array([True, False, False, False, False])
EXITS = np.array([False, False, True, False, False])
PARAMS = TradingParams(initial_capital=1000.0, fee_rate=0.0, position_size=100.0)
"""100 a trade out of 1,000, no fees: 10 shares at 10."""

INVESTED = [0.0, 100.0 / 1000.0, 200.0 / 1100.0, 0.0, 0.0]
"""|shares × close| / equity: flat; 10 × 10 of 1,000; 10 × 20 of 900 cash + 200; flat; flat."""

EXPOSURE_PCT = sum(INVESTED) / 5 * 100.0


@pytest.fixture
def five_bar_run():
    bars = make_bars(CLOSE)
    return bars, run(bars, ENTRIES, EXITS, PARAMS)


def test_invested_fraction_is_the_position_value_over_equity_on_each_bar(five_bar_run):
    """Bar by bar, the hand-worked fractions; a short counts by its size; no equity, 0."""
    bars, result = five_bar_run
    fraction = invested_fraction(result.position * bars.close, result.equity)
    assert fraction.tolist() == pytest.approx(INVESTED, rel=1e-15)
    assert invested_fraction(np.array([-50.0, 5.0]), np.array([100.0, 0.0])).tolist() == [0.5, 0]


def test_average_exposure_weighs_every_bar_the_same(five_bar_run):
    """(0 + 0.1 + 2/11 + 0 + 0) / 5 = 5.636…%, not the 40% of bars holding a position."""
    bars, result = five_bar_run
    exposure = average_exposure_pct(result.position * bars.close, result.equity)
    assert exposure == pytest.approx(EXPOSURE_PCT, rel=1e-14)
    assert exposure == pytest.approx(5.636363636363637, rel=1e-14)
    records = trade_records(bars, result)
    metrics = enhanced_metrics(bars, result, records, buy_and_hold(bars, 1000.0))
    assert metrics["exposure_pct"] == 40.0
    assert metrics["avg_exposure_pct"] == exposure


def test_buy_and_hold_at_the_runs_exposure_holds_that_share_and_keeps_the_rest_in_cash(
    five_bar_run,
):
    """Buy and hold doubles (+100%); at 5.636% of the capital it gains 5.636% of it: the
    equity is 1,000 + e × (buy-and-hold equity − 1,000)."""
    bars, result = five_bar_run
    full = buy_and_hold(bars, 1000.0)
    assert full["return_pct"] == 100.0
    exposed = at_exposure(full, 1000.0, EXPOSURE_PCT)
    e = EXPOSURE_PCT / 100.0
    assert exposed["exposure_pct"] == EXPOSURE_PCT
    assert exposed_equity(full["equity"], 1000.0, EXPOSURE_PCT) == pytest.approx(
        [1000.0, 1000.0, 1000.0 + e * 1000.0, 1000.0 + e * 1000.0, 1000.0 + e * 1000.0],
        rel=1e-15,
    )
    assert exposed["exposed_return_pct"] == pytest.approx(EXPOSURE_PCT, rel=1e-14)
    metrics = enhanced_metrics(bars, result, trade_records(bars, result), full)
    assert metrics["benchmark_exposed_return_pct"] == exposed["exposed_return_pct"]


def test_a_runs_result_carries_both_benchmarks_and_its_exposure(five_bar_run):
    """The stored result: ``benchmark`` keeps the full buy and hold and gains the exposed
    one; ``metrics`` has both returns and the average exposure, which the stored portfolio
    curve gives back (the report reads older results that way)."""
    bars, result = five_bar_run
    request = parse_request(
        {
            "ticker": "ACME",
            "rule_type": "SMA_CROSS",
            "start_date": "2024-01-01",
            "end_date": "2024-01-05",
            "initial_capital": 1000.0,
            "fee_rate": 0.0,
            "position_size": 100.0,
            "charts": False,
        }
    )
    out = assemble(request, bars, result, ENTRIES, EXITS, "hash").to_dict()
    benchmark, metrics = out["benchmark"], out["metrics"]
    assert benchmark["equity"] == [1000.0, 1000.0, 2000.0, 2000.0, 2000.0]
    assert benchmark["return_pct"] == metrics["benchmark_return_pct"] == 100.0
    assert benchmark["exposure_pct"] == metrics["avg_exposure_pct"]
    assert metrics["avg_exposure_pct"] == pytest.approx(EXPOSURE_PCT, rel=1e-14)
    assert benchmark["exposed_return_pct"] == metrics["benchmark_exposed_return_pct"]
    assert "exposed_equity" not in benchmark  # a line of the full curve: the page draws it
    assert portfolio_exposure_pct(out["portfolio_curve"]) == metrics["avg_exposure_pct"]
    assert portfolio_exposure_pct({}) is None
