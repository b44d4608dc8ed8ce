"""rules.library.rsi_macd: MACD entries gated by RSI, exits on MACD or RSI overbought."""

from __future__ import annotations

import numpy as np

from rules.library.rsi_macd import SPEC, batch
from tests.bars import daily_bars

V_SHAPE = [8, 6, 4, 2, 4, 6, 8, 6, 4]
"""MACD(2, 3, 2) crosses above on bar 4 and below on bar 7 (see test_rules_library_macd);
RSI(2) is 0, 0, 50, 75, 87.5, 43.75, 21.875 on bars 2–8 (Wilder, worked by hand)."""


def _params(rsi_below: float, overbought: float) -> dict:
    return {
        "rsi_period": 2,
        "rsi_below": rsi_below,
        "overbought": overbought,
        "fast": 2,
        "slow": 3,
        "signal": 2,
    }


def test_entry_needs_rsi_below_the_level_on_the_cross_bar():
    """RSI is 50 on the cross bar 4: an entry below 60, none below 40."""
    entries, _ = SPEC.signals(daily_bars(V_SHAPE), _params(60.0, 80.0))
    assert np.flatnonzero(entries).tolist() == [4]
    entries, _ = SPEC.signals(daily_bars(V_SHAPE), _params(40.0, 80.0))
    assert not entries.any()


def test_exit_on_macd_cross_below_or_rsi_overbought():
    """RSI 87.5 > 80 on bar 6 and the MACD cross below on bar 7 both exit."""
    _, exits = SPEC.signals(daily_bars(V_SHAPE), _params(60.0, 80.0))
    assert np.flatnonzero(exits).tolist() == [6, 7]
    _, exits = SPEC.signals(daily_bars(V_SHAPE), _params(60.0, 90.0))
    assert np.flatnonzero(exits).tolist() == [7]


def test_batch_rows_equal_single_runs():
    """Each batch row is the single-run result for its parameters."""
    bars = daily_bars(V_SHAPE * 2)
    combos = [
        _params(60.0, 80.0),
        _params(40.0, 90.0),
        {**_params(50.0, 70.0), "fast": 3, "slow": 5},
    ]
    entries, exits = batch(bars, combos, {})
    for row, params in enumerate(combos):
        single = SPEC.signals(bars, params)
        assert np.array_equal(entries[row], single[0]) and np.array_equal(exits[row], single[1])
