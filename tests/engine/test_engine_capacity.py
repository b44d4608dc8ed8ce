"""engine.capacity: the default grid, the parameters at a capital, and the runs at several
capitals, through the step's batch pass or ``run``, equal bit for bit to ``run`` at each
capital (the run's own capital gives its result)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Bars, TradingParams, run
from engine.capacity import at_capital, capital_grid, in_step_pass, run_capacity
from engine.corporate import CorporateActions
from engine.result import CORE_METRICS


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


def _same(runs, i: int, alone) -> None:
    """Row ``i`` of ``runs`` is ``alone``'s equity and core metrics, bit for bit."""
    assert np.array_equal(runs.equity[i], alone.equity)
    for name in CORE_METRICS:
        value = alone.metrics[name]
        got = runs.metrics[name][i]
        assert math.isnan(got) if value is None else got == value, name


EXTRAS = [
    {},
    {"stop_loss_pct": 3.0},
    {"direction": "longshort"},
    {"size_type": "percent", "position_size": 100.0},
    {"close_at_end": True, "fee_per_share": 0.01, "slippage_bps": 5.0},
    {"entry_type": "limit", "valid_bars": 3},
]


@pytest.mark.parametrize("extra", EXTRAS)
def test_each_capital_is_the_run_at_that_capital(extra: dict) -> None:
    """Market runs, a stop, a long-short run, all-in by percent, the fee model with
    close-at-end and limit entries, all through the step's batch pass: every point is
    ``run`` at ``at_capital``, the request's own capital the run itself."""
    bars, (entries, exits) = _bars(), _signals()
    params = TradingParams(**{"position_size": 10_000.0, **extra})
    limit = bars.close - 1.0 if "entry_type" in extra else None
    assert in_step_pass(bars, params)
    capitals = (10_000.0, 100_000.0, 10_000_000.0)
    runs = run_capacity(bars, entries, exits, params, capitals, limit=limit)
    for i, capital in enumerate(capitals):
        _same(runs, i, run(bars, entries, exits, at_capital(params, capital), limit=limit))
    _same(runs, 1, run(bars, entries, exits, params, limit=limit))


def test_runs_the_pass_cannot_take_are_run_one_by_one() -> None:
    """A run with corporate actions on its position (a 2:1 split) is ``run`` at each
    capital, with the same numbers."""
    bars, (entries, exits) = _bars(), _signals()
    split = np.ones(len(bars))
    split[40] = 2.0
    actions = CorporateActions(split=split, dividend=np.zeros(len(bars)))
    params = TradingParams(position_size=10_000)
    assert not in_step_pass(bars, params, actions=actions)
    runs = run_capacity(bars, entries, exits, params, (1e4, 1e6), actions=actions)
    for i, capital in enumerate((1e4, 1e6)):
        _same(runs, i, run(bars, entries, exits, at_capital(params, capital), actions=actions))


def test_whole_shares_make_a_small_capital_differ() -> None:
    """At 10 k a 1 k position buys 3 shares of a 300 stock (up to 33 % of it unspent); at
    10 M the same share of the capital is invested almost exactly: the returns differ, and
    the large capitals agree with each other."""
    bars, (entries, exits) = _bars(), _signals()
    params = TradingParams(position_size=10_000, fee_rate=0.0)
    runs = run_capacity(bars, entries, exits, params, (10_000.0, 10_000_000.0, 100_000_000.0))
    small, large, larger = runs.metrics["total_return_pct"]
    first = run(bars, entries, exits, at_capital(params, 10_000.0))
    assert first.trades[0].size == 3
    assert small != pytest.approx(large, rel=1e-3)
    assert large == pytest.approx(larger, rel=1e-3)
