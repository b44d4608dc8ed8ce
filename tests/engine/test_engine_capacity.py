"""engine.capacity: the default grid, the parameters at a capital, and the runs at several
capitals equal to the same runs made one by one (the run's own capital gives its result)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Bars, TradingParams, run
from engine.capacity import at_capital, capital_grid, run_capacity


def _bars(n: int = 120) -> Bars:
    """A wave priced around 300: a 10 k position buys a few shares, so rounding shows."""
    close = 300.0 + 20.0 * np.sin(np.arange(n) / 6.0)
    days = np.arange(n).astype("datetime64[D]")
    return Bars(days, close - 0.5, close + 2.0, close - 2.0, close, np.full(n, 1e6))


def _signals(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    entries, exits = np.zeros(n, bool), np.zeros(n, bool)
    entries[5::24], exits[17::24] = True, True
    return entries, exits


def test_the_default_grid_is_twelve_log_spaced_capitals_from_10k_to_1b() -> None:
    grid = capital_grid()
    assert len(grid) == 12 and grid[0] == 10_000.0 and grid[-1] == 1_000_000_000.0
    ratios = np.diff(np.log(grid))
    assert np.allclose(ratios, math.log(1e5) / 11, rtol=1e-4)
    assert all(c == round(c) for c in grid)
    assert capital_grid(1_000, 100_000, 3) == (1_000.0, 10_000.0, 100_000.0)


def test_a_size_by_value_is_the_same_share_of_the_capital_and_a_percent_is_kept() -> None:
    value = TradingParams(initial_capital=100_000, position_size=10_000, size_type="value")
    scaled = at_capital(value, 1_000_000)
    assert (scaled.initial_capital, scaled.position_size) == (1_000_000, 100_000)
    percent = TradingParams(initial_capital=100_000, position_size=50, size_type="percent")
    assert at_capital(percent, 10_000) == TradingParams(
        initial_capital=10_000, position_size=50, size_type="percent"
    )


@pytest.mark.parametrize("extra", [{}, {"stop_loss_pct": 3.0}, {"direction": "longshort"}])
def test_each_capital_is_the_run_at_that_capital(extra: dict) -> None:
    """The market path, the broker's step (a stop) and a long-short run: every point is
    ``run`` at ``at_capital``, the request's own capital the run itself."""
    bars, (entries, exits) = _bars(), _signals()
    params = TradingParams(position_size=10_000, **extra)
    capitals = (10_000.0, 100_000.0, 10_000_000.0)
    results = run_capacity(bars, entries, exits, params, capitals)
    for capital, result in zip(capitals, results, strict=True):
        alone = run(bars, entries, exits, at_capital(params, capital))
        assert result.metrics == alone.metrics
        assert np.array_equal(result.equity, alone.equity)
    own = run(bars, entries, exits, params)
    assert results[1].metrics == own.metrics


def test_whole_shares_make_a_small_capital_differ() -> None:
    """At 10 k a 1 k position buys 3 shares of a 300 stock (up to 33 % of it unspent); at
    10 M the same share of the capital is invested almost exactly: the returns differ, and
    the large capitals agree with each other."""
    bars, (entries, exits) = _bars(), _signals()
    params = TradingParams(position_size=10_000, fee_rate=0.0)
    small, large, larger = run_capacity(
        bars, entries, exits, params, (10_000.0, 10_000_000.0, 100_000_000.0)
    )
    assert small.trades[0].size == 3
    assert small.metrics["total_return_pct"] != pytest.approx(
        large.metrics["total_return_pct"], rel=1e-3
    )
    assert large.metrics["total_return_pct"] == pytest.approx(
        larger.metrics["total_return_pct"], rel=1e-3
    )
