"""Position-aware exits in the engine's walk: a hand-computed case for each series, their
order against stops and the close at the end, long-short, a sweep's rows equal to runs
alone, and no look-ahead (docs/execution.md, "Position-aware exits")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Bars, TradingParams, run, run_batch
from rules import generate_signals_batch, position_exits, validate_rule
from tests.engine.test_engine_orders import _random_bars

OPEN = np.array([10, 10, 11, 12, 13, 12, 11, 10, 11, 12, 13, 14], dtype=np.float64)
"""Twelve bars: closes are open + 0.5, highs open + 1, lows open - 1. The entry
``crossover(close, 10.8)`` holds on bars 2 and 8, so longs fill at bars 3 and 9, at 12."""

ENTRY = "crossover(close, 10.8)"


def _bars(open_: np.ndarray = OPEN, volume: np.ndarray | None = None) -> Bars:
    days = np.arange(len(open_)).astype("datetime64[D]")
    volume = np.ones(len(open_)) if volume is None else volume
    return Bars(days, open_, open_ + 1.0, open_ - 1.0, open_ + 0.5, volume)


def _signals(bars: Bars, entry: str, exit_: str, rows: list[dict]):
    checked = [validate_rule("EXPR", {"entry": entry, "exit": exit_, **row})[1] for row in rows]
    cache: dict = {}
    entries, exits = generate_signals_batch("EXPR", checked, bars, cache, validated=True)
    held = position_exits("EXPR", checked, bars, slice(0, len(bars)), cache)
    return entries, exits, held


def _run(exit_: str, entry: str = ENTRY, bars: Bars | None = None, **trading):
    bars = _bars() if bars is None else bars
    entries, exits, held = _signals(bars, entry, exit_, [{}])
    params = TradingParams(fee_rate=0.0, position_size=1000.0, **trading)
    return run(bars, entries[0], exits[0], params, position_exit=held[0])


def _trades(result) -> list[tuple]:
    return [
        (t.entry_bar, t.exit_bar, t.entry_price, t.exit_price, t.exit_reason) for t in result.trades
    ]


LAST_OPEN = (9, 11, 12.0, 14.5, "end")
"""The second long, still open on the last bar (marked at its close)."""


@pytest.mark.parametrize(
    ("exit_", "expected"),
    [
        # bars_held is 2 on bar 5's close (filled on bar 3): out at bar 6's open, 11
        ("bars_held >= 2", [(3, 6, 12.0, 11.0, "signal"), (9, 11, 12.0, 14.5, "end")]),
        # bars_held is 0 on the fill bar: out at the next open
        ("bars_held >= 0", [(3, 4, 12.0, 13.0, "signal"), (9, 10, 12.0, 13.0, "signal")]),
        # 100 × (13.5 / 12 − 1) = 12.5 on bar 4; 12.5 again on bar 10
        ("open_return >= 10", [(3, 5, 12.0, 12.0, "signal"), (9, 11, 12.0, 14.0, "signal")]),
        # best 12.5 (bar 4), then −4.17 on bar 6: 16.67 given back
        ("max_open_return - open_return >= 10", [(3, 7, 12.0, 10.0, "signal"), LAST_OPEN]),
        # breakeven: up 5 % once (bar 4), then a close at or under the entry (11.5, bar 6)
        (
            "max_open_return >= 5 and close <= entry_price",
            [(3, 7, 12.0, 10.0, "signal"), LAST_OPEN],
        ),
        # a position-free part joined with or: close < 11 holds on bar 7 (10.5)
        ("close < 11 or bars_held >= 20", [(3, 8, 12.0, 11.0, "signal"), LAST_OPEN]),
    ],
)
def test_each_position_series_exits_where_it_was_computed_by_hand(exit_, expected):
    assert _trades(_run(exit_)) == expected


def test_entry_price_is_the_fill_price_with_slippage():
    """100 bps: the long fills at 12.12, so close <= entry_price + 0.4 (12.52) holds on
    bar 3 (12.5); without slippage (12.4) only on bar 6 (11.5)."""
    slipped = _run("close <= entry_price + 0.4", slippage_bps=100.0)
    assert _trades(slipped)[0][:4] == (3, 4, 12.0 * 1.01, 13.0 * 0.99)
    assert _trades(_run("close <= entry_price + 0.4"))[0][:2] == (3, 7)


def test_outside_a_position_the_series_are_nan_so_comparisons_with_them_are_false():
    """The exit signal the walk reads while flat names no position: all false here."""
    bars = _bars()
    _, exits, _ = _signals(bars, ENTRY, "bars_held >= 0 or open_return < 1000", [{}])
    assert not exits.any()


def test_a_stop_hit_in_the_bar_comes_before_the_exit_at_its_close():
    """A 10 % stop-loss (10.8) is hit by bar 6's low (10), the bar bars_held reaches 3:
    the stop closes the trade in the bar, the time exit has nothing left to close (alone,
    it would close it at bar 7's open, 10)."""
    result = _run("bars_held >= 3", stop_loss_pct=10.0)
    assert _trades(result)[0] == (3, 6, 12.0, 12.0 * 0.9, "stop_loss")
    assert _trades(_run("bars_held >= 3"))[0] == (3, 7, 12.0, 10.0, "signal")


def test_close_open_trades_at_end_closes_a_long_the_exit_has_not():
    """The second long is still open on the last bar: closed at its open (14)."""
    result = _run("bars_held >= 2", close_at_end=True)
    assert _trades(result)[-1] == (9, 11, 12.0, 14.0, "closed_at_end")


def test_in_longshort_the_exit_names_the_long_it_closes_never_the_short():
    """bars_held >= 1 reverses the long into a short a bar later; while short the names
    are NaN, so the next entry (bar 8) covers the short as any entry would (were they the
    short's, that bar's exit and entry would both hold and the bar be ignored)."""
    result = _run("crossunder(close, 12) or bars_held >= 1", direction="longshort")
    assert [(t.entry_bar, t.exit_bar, t.direction) for t in result.trades] == [
        (3, 5, 1),
        (5, 9, -1),
        (9, 11, 1),
        (11, 11, -1),
    ]


def test_a_request_without_position_names_has_no_position_exits():
    bars = _bars()
    assert _signals(bars, ENTRY, "close < 11", [{}])[2] is None


def test_each_row_of_a_batch_equals_the_run_alone():
    """$n swept over 1..6 in one ``run_batch``: every row's equity and metrics equal its
    own ``run``, bit for bit."""
    rng = np.random.default_rng(3)
    bars = _random_bars(rng, 400)
    entry, exit_ = "crossover(close, sma(close, 10))", "close < lowest(low, 20) or bars_held >= $n"
    rows = [{"n": n} for n in range(1, 7)]
    entries, exits, held = _signals(bars, entry, exit_, rows)
    params = TradingParams(fee_rate=0.001, slippage_bps=2.0, stop_loss_pct=4.0)
    batch = run_batch(bars, entries, exits, params, keep_equity=True, position_exits=held)
    finals = set()
    for i in range(len(rows)):
        alone = run(bars, entries[i], exits[i], params, position_exit=held[i])
        assert np.array_equal(batch.equity[i], alone.equity)
        for name, values in batch.metrics.items():
            value = alone.metrics[name]
            assert (np.isnan(values[i]) and value is None) or values[i] == value, name
        finals.add(float(alone.equity[-1]))
    assert len(finals) > 1


def test_position_exits_are_refused_with_one_pass():
    """(With entry orders they are walked: tests/engine/test_engine_orders_position_and_size.py.)"""
    bars = _bars()
    entries, exits, held = _signals(bars, ENTRY, "bars_held >= 2", [{}])
    with pytest.raises(ValueError, match="one_pass"):
        run_batch(bars, entries, exits, TradingParams(), one_pass=True, position_exits=held)


def test_a_long_run_of_one_bar_trades_evaluates_in_linear_time():
    """20,000 bars, a long every other bar held one bar: the exit's stretches never cover
    more than a few times the bars (not the bars × the trades)."""
    n_bars = 20_000
    base = _random_bars(np.random.default_rng(1), n_bars)
    every_other = np.where(np.arange(n_bars) % 2 == 0, 2.0, 0.0)
    bars = Bars(base.timestamps, base.open, base.high, base.low, base.close, every_other)
    entries, exits, held = _signals(bars, "volume == 2", "bars_held >= 0", [{}])
    stretches = []
    original = type(held[0]).__call__

    def counting(self, side, fill_bar, price):
        exit_at = original(self, side, fill_bar, price)
        stretches.append(exit_at)
        return exit_at

    type(held[0]).__call__ = counting
    try:
        result = run(bars, entries[0], exits[0], TradingParams(), position_exit=held[0])
    finally:
        type(held[0]).__call__ = original
    assert len(result.trades) > n_bars // 3
    assert sum(h.stop - h.first for h in stretches) <= 16 * len(stretches)


N_BARS = 120

EXITS = [
    "volume == 1 or bars_held >= 4",
    "volume == 1 or open_return >= 3",
    "volume == 1 or max_open_return - open_return >= 2",
    "close < sma(close, 5) and bars_held >= 2 or max(open_return, 0) > 6",
]


def _future(bars: Bars, t: int, rng: np.random.Generator) -> Bars:
    """``bars`` with every bar after ``t`` (and its volume: its signals) redrawn."""
    other = _random_bars(rng, N_BARS)
    scale = bars.close[t] / other.close[t]
    cols = [np.r_[getattr(bars, c)[: t + 1], getattr(other, c)[t + 1 :] * scale]
            for c in ("open", "high", "low", "close")]  # fmt: skip
    volume = np.r_[bars.volume[: t + 1], rng.integers(0, 3, N_BARS)[t + 1 :]].astype(float)
    return Bars(bars.timestamps, *cols, volume)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    t=st.integers(5, N_BARS - 3),
    exit_=st.sampled_from(EXITS),
    direction=st.sampled_from(["longonly", "longshort"]),
    stops=st.sampled_from([(None, None), (3.0, 6.0)]),
)
def test_the_future_never_changes_exits_fills_or_equity_up_to_t(seed, t, exit_, direction, stops):
    """Entries where volume is 2, a signal exit where it is 1: redrawing the bars after t
    leaves the equity, the position and every fill up to t as they were."""
    rng = np.random.default_rng(seed)
    base = _random_bars(rng, N_BARS)
    bars = Bars(base.timestamps, base.open, base.high, base.low, base.close,
                rng.integers(0, 3, N_BARS).astype(float))  # fmt: skip
    params = TradingParams(
        fee_rate=0.001, direction=direction, stop_loss_pct=stops[0], take_profit_pct=stops[1]
    )
    results = []
    for case in (bars, _future(bars, t, rng)):
        entries, exits, held = _signals(case, "volume == 2", exit_, [{}])
        results.append(run(case, entries[0], exits[0], params, position_exit=held[0]))
    before, after = results
    assert np.array_equal(before.equity[: t + 1], after.equity[: t + 1])
    assert np.array_equal(before.position[: t + 1], after.position[: t + 1])

    def fills(result) -> list[tuple]:
        out = [("in", x.entry_bar, x.entry_price) for x in result.trades if x.entry_bar <= t]
        out += [("out", x.exit_bar, x.exit_price, x.exit_reason) for x in result.trades
                if not x.is_open and x.exit_bar <= t]  # fmt: skip
        return out

    assert fills(before) == fills(after)
