"""rules.library.momentum: rate-of-change thresholds on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.momentum import SPEC, batch
from tests.bars import daily_bars


def test_entry_above_and_exit_below_the_thresholds():
    """ROC(1) of 100,110,111,100,100 is +10%, +0.9%, −9.9%, 0%."""
    params = {"period": 1, "entry_threshold": 5.0, "exit_threshold": -5.0}
    entries, exits = SPEC.signals(daily_bars([100, 110, 111, 100, 100]), params)
    assert np.flatnonzero(entries).tolist() == [1]
    assert np.flatnonzero(exits).tolist() == [3]


def test_period_looks_back_that_manydaily_bars():
    """ROC(2) compares with two bars back: 111/100 and 100/110 from bar 2."""
    params = {"period": 2, "entry_threshold": 10.0, "exit_threshold": -5.0}
    entries, exits = SPEC.signals(daily_bars([100, 110, 111, 100]), params)
    assert np.flatnonzero(entries).tolist() == [2]
    assert np.flatnonzero(exits).tolist() == [3]


def test_batch_rows_equal_single_runs():
    """Each batch row is the single-run result for its parameters."""
    bars = daily_bars([100, 110, 111, 100, 100, 95, 120])
    combos = [
        {"period": 1, "entry_threshold": 5.0, "exit_threshold": -5.0},
        {"period": 2, "entry_threshold": 0.0, "exit_threshold": 0.0},
    ]
    entries, exits = batch(bars, combos, {})
    for row, params in enumerate(combos):
        single = SPEC.signals(bars, params)
        assert np.array_equal(entries[row], single[0]) and np.array_equal(exits[row], single[1])
