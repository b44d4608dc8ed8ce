"""rules.library.breakout: Donchian channel breakouts on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.breakout import SPEC
from tests.bars import daily_bars

CLOSE = [5, 6, 7, 6, 4, 5]
"""Highs are close + 0.5 and lows close − 0.5."""


def test_entry_above_prior_high_exit_below_prior_low():
    """Bar 2: 7 > max(5.5, 6.5); bar 4: 4 < min(6.5, 5.5); bar 5 is inside its channel."""
    entries, exits = SPEC.signals(
        daily_bars(CLOSE, spread=0.5), {"entry_period": 2, "exit_period": 2}
    )
    assert np.flatnonzero(entries).tolist() == [2]
    assert np.flatnonzero(exits).tolist() == [4]


def test_channel_excludes_the_current_bar_and_waits_for_its_window():
    """A 3-bar high channel starts at bar 3, so bar 2's breakout is not seen."""
    entries, exits = SPEC.signals(
        daily_bars(CLOSE, spread=0.5), {"entry_period": 3, "exit_period": 4}
    )
    assert not entries.any()
    assert np.flatnonzero(exits).tolist() == [4]  # 4 < min(4.5, 5.5, 6.5, 5.5)


def test_overlays_are_the_channel_lines():
    """Highest high and lowest low of the bars before each bar."""
    lines = SPEC.overlays(daily_bars(CLOSE, spread=0.5), {"entry_period": 2, "exit_period": 3})
    np.testing.assert_array_equal(lines["Highest high (2)"], [np.nan, np.nan, 6.5, 7.5, 7.5, 6.5])
    np.testing.assert_array_equal(lines["Lowest low (3)"], [np.nan] * 3 + [4.5, 5.5, 3.5])
