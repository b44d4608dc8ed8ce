"""rules.library.atr_breakout (rule ATR): volatility breakouts on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.atr_breakout import SPEC
from tests.bars import daily_bars

CLOSE = [10, 10, 10, 13, 10, 6]
"""Highs are close + 0.5, lows close − 0.5: true ranges (bars 1–5) 1, 1, 3.5, 3.5, 4.5."""


def test_breakouts_use_the_previous_bars_atr():
    """period 1: bar 3 rises 3 > 1·ATR[2] = 1; bar 4 falls 3, not more than ATR[3] = 3.5;
    bar 5 falls 4 > ATR[4] = 3.5."""
    entries, exits = SPEC.signals(daily_bars(CLOSE, spread=0.5), {"period": 1, "multiplier": 1.0})
    assert np.flatnonzero(entries).tolist() == [3]
    assert np.flatnonzero(exits).tolist() == [5]


def test_multiplier_scales_the_band():
    """k = 3.5: bar 3's rise of 3 is under 3.5·1; bar 5's fall of 4 is under 3.5·3.5."""
    entries, exits = SPEC.signals(daily_bars(CLOSE, spread=0.5), {"period": 1, "multiplier": 3.5})
    assert not entries.any() and not exits.any()


def test_no_signal_before_the_first_atr_is_known():
    """ATR(3) starts at bar 3, so the band exists from bar 4 on: bar 3's jump is not seen."""
    entries, exits = SPEC.signals(daily_bars(CLOSE, spread=0.5), {"period": 3, "multiplier": 0.5})
    assert not entries[:4].any()
    assert np.flatnonzero(exits).tolist() == [4, 5]  # ATR(3)[3] = 2, [4] = 2.5


def test_overlays_are_the_two_trigger_levels():
    """Previous close ± k · previous ATR."""
    lines = SPEC.overlays(daily_bars(CLOSE, spread=0.5), {"period": 1, "multiplier": 1.0})
    np.testing.assert_array_equal(lines["Close + 1 ATR(1)"], [np.nan, np.nan, 11, 11, 16.5, 13.5])
    np.testing.assert_array_equal(lines["Close − 1 ATR(1)"], [np.nan, np.nan, 9, 9, 9.5, 6.5])
