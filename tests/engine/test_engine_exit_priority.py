"""``exit_priority``: a bar whose entry and exit both hold is the exit while long, the entry
otherwise, the same in every path the engine routes a run through.

docs/execution.md, "Execution convention". The default (False) keeps today's rule, pinned by
the golden files; here a hand-computed case, and random signals full of such bars run
through the vectorised path, the one-pass kernel, the stop walk, the position-aware exit's
walk, the units walk and a single ``run``, which must give the same equity, and entry
orders through the broker's step and through the frozen engine 1.4.0
(``tests.engine.legacy_engine``), which must agree.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import Bars, EngineParamError, TradingParams, _scaling, _simulate, run, run_batch
from tests.bars import daily_bars
from tests.engine import legacy_engine as legacy


def test_a_conflicting_bar_closes_the_long_and_the_entry_opens_it_again():
    """Entry on bars 1-6, exit on bar 3: by default bar 3 is ignored (one long from bar 2);
    with ``exit_priority`` it closes the long at bar 4's open and bar 4's entry buys again
    at bar 5's open."""
    bars = daily_bars([10.0, 10.0, 10.0, 11.0, 12.0, 12.5, 13.0, 13.0, 13.0])
    entries = np.array([0, 1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)
    exits = np.array([0, 0, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    params = TradingParams(fee_rate=0.0, position_size=1_000.0)
    default = run(bars, entries, exits, params)
    assert [(t.entry_bar, t.is_open) for t in default.trades] == [(2, True)]
    first = run(bars, entries, exits, dataclasses.replace(params, exit_priority=True))
    trades = [(t.entry_bar, t.exit_bar, t.size, t.is_open) for t in first.trades]
    assert trades == [(2, 4, 100, False), (5, 8, 80, True)]
    assert first.trades[0].pnl == 100 * (12.0 - 10.0)


def test_a_bar_with_both_signals_opens_a_long_when_flat():
    """Flat, a bar whose entry and exit both hold is the entry (backtesting.py's ``elif
    entry: buy()``); by default it is ignored."""
    bars = daily_bars([10.0, 10.0, 11.0, 12.0])
    both = np.array([0, 1, 0, 0], dtype=bool)
    params = TradingParams(fee_rate=0.0, position_size=1_000.0)
    assert run(bars, both, both, params).trades == []
    trades = run(bars, both, both, dataclasses.replace(params, exit_priority=True)).trades
    assert [(t.entry_bar, t.size) for t in trades] == [(2, 90)]


def test_exit_priority_must_be_a_boolean():
    with pytest.raises(EngineParamError) as caught:
        TradingParams(exit_priority="exit")
    assert caught.value.field == "exit_priority"


def _random(seed: int, n_runs: int = 40, n_bars: int = 300):
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n_bars)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, 0.005, n_bars))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    stamps = np.arange(n_bars).astype("datetime64[D]")
    bars = Bars(stamps, open_, high, low, close, np.ones(n_bars))
    entries = rng.random((n_runs, n_bars)) < 0.3
    exits = rng.random((n_runs, n_bars)) < 0.3
    return bars, entries, exits


def _static_exit(row: np.ndarray):
    """A position-aware exit that is the row of exits (so the run is walked bar by bar)."""

    def opened(side: float, bar: int, price: float):
        return lambda t: bool(row[t])

    return opened


@pytest.mark.parametrize("direction", ["longonly", "longshort"])
def test_every_market_path_resolves_conflicts_alike(direction):
    """40 runs of random signals, a third of their bars conflicting: the vectorised path's
    equity equals the stop walk's (a stop never hit), the position-aware exit walk's, the
    units walk's and each single run's, and the one-pass kernel's metrics equal its own;
    every run differs from the default's."""
    bars, entries, exits = _random(11)
    params = TradingParams(direction=direction, exit_priority=True)
    plain = run_batch(bars, entries, exits, params, keep_equity=True)
    default = run_batch(bars, entries, exits, dataclasses.replace(params, exit_priority=False))
    assert (plain.metrics["total_return_pct"] != default.metrics["total_return_pct"]).all()
    one_pass = run_batch(bars, entries, exits, params, one_pass=True)
    for name, values in plain.metrics.items():
        np.testing.assert_array_equal(one_pass.metrics[name], values, err_msg=name)
    far_stop = dataclasses.replace(params, stop_loss_pct=99.0)
    walked = run_batch(bars, entries, exits, far_stop, keep_equity=True)
    np.testing.assert_array_equal(walked.equity, plain.equity)
    held = [_static_exit(row) for row in exits]
    aware = run_batch(bars, entries, exits, params, keep_equity=True, position_exits=held)
    np.testing.assert_array_equal(aware.equity, plain.equity)
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    units, _ = _scaling.scale_events(entries, exits, ohlc, params)
    unit_paths = _simulate.paths(units, 0, len(entries), bars.close, params.initial_capital)
    np.testing.assert_array_equal(unit_paths.equity, plain.equity)
    for i in (0, 17, 39):
        np.testing.assert_array_equal(
            run(bars, entries[i], exits[i], params).equity, plain.equity[i]
        )


@pytest.mark.parametrize("kind", ["limit", "stop", "stop_limit", "on_close"])
@pytest.mark.parametrize("direction", ["longonly", "longshort"])
def test_the_step_resolves_conflicts_with_entry_orders_as_the_engine_it_replaced(kind, direction):
    """Entry orders with stops and conflicting bars: the broker step's equity equals the
    frozen engine 1.4.0's bit for bit (pending orders included: a single position resolves
    against the side asked for last), and differs from the default's."""
    bars, entries, exits = _random(23, n_runs=32)
    limit = bars.close * 0.99
    stop = bars.close * (1.02 if kind == "stop_limit" else 1.01)
    if kind == "stop_limit":
        limit = stop * 1.01
    fields = {
        "direction": direction,
        "entry_type": kind,
        "valid_bars": 3,
        "stop_loss_pct": 4.0,
        "take_profit_pct": 6.0,
        "exit_priority": True,
    }
    params = TradingParams(**fields)
    stepped = run_batch(bars, entries, exits, params, limit=limit, stop=stop, keep_equity=True)
    default = dataclasses.replace(params, exit_priority=False)
    before = run_batch(bars, entries, exits, default, limit=limit, stop=stop, keep_equity=True)
    old_bars = legacy.Bars(bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume)
    old_params = legacy.TradingParams(**fields)
    old = legacy.run_batch(
        old_bars, entries, exits, old_params, limit=limit, stop=stop, keep_equity=True
    )
    np.testing.assert_array_equal(stepped.equity, old.equity)
    assert (before.equity != stepped.equity).any(axis=1).all()


def test_resolving_conflicts_flips_the_side_asked_for_before():
    """``resolve_conflicts``: a run of conflicting bars alternates from the side before it
    (none: not long), in both directions."""
    entries = np.array([[1, 1, 1, 0, 1, 1, 0, 1]], dtype=bool)
    exits = np.array([[0, 1, 1, 1, 1, 0, 1, 1]], dtype=bool)
    for direction in ("longonly", "longshort"):
        got_entries, got_exits = _simulate.resolve_conflicts(entries, exits, direction)
        assert got_entries.astype(int).tolist() == [[1, 0, 1, 0, 1, 1, 0, 1]]
        assert (got_entries ^ got_exits)[entries | exits].all()
    both = exits[:, 1:]
    first = _simulate.resolve_conflicts(both, both, "longshort")[0]
    assert first.astype(int).tolist() == [[1, 0, 1, 0, 0, 1, 0]]
