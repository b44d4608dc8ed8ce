"""rules.library.rsi: RSI level entries and exits on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.rsi import SPEC, batch
from tests.bars import daily_bars


def test_entries_below_oversold_and_exits_above_overbought():
    """RSI(2) of 10,9,8,7,8,9,10,11 is 0,0,50,75,87.5,93.75 from bar 2 (worked by hand)."""
    bars = daily_bars([10, 9, 8, 7, 8, 9, 10, 11])
    entries, exits = SPEC.signals(bars, {"period": 2, "oversold": 30.0, "overbought": 70.0})
    assert np.flatnonzero(entries).tolist() == [2, 3]
    assert np.flatnonzero(exits).tolist() == [5, 6, 7]


def test_levels_are_strict_and_warm_up_is_silent():
    """RSI(2) of 10,11,10,11,10 is 50, 75, 37.5 from bar 2: touching a level is no signal."""
    bars = daily_bars([10, 11, 10, 11, 10])
    entries, exits = SPEC.signals(bars, {"period": 2, "oversold": 37.5, "overbought": 75.0})
    assert not entries.any() and not exits.any()
    entries, exits = SPEC.signals(bars, {"period": 2, "oversold": 38.0, "overbought": 74.0})
    assert np.flatnonzero(entries).tolist() == [4]
    assert np.flatnonzero(exits).tolist() == [3]


def test_batch_rows_equal_single_runs():
    """Each batch row is the single-run result for its parameters."""
    bars = daily_bars([10, 9, 8, 7, 8, 9, 10, 11, 9, 12])
    combos = [
        {"period": 2, "oversold": 30.0, "overbought": 70.0},
        {"period": 3, "oversold": 45.0, "overbought": 55.0},
    ]
    entries, exits = batch(bars, combos, {})
    for row, params in enumerate(combos):
        single = SPEC.signals(bars, params)
        assert np.array_equal(entries[row], single[0]) and np.array_equal(exits[row], single[1])
