"""rules.library.sma_cross: moving-average crossings on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.sma_cross import SPEC
from tests.bars import daily_bars

STEPS = [5, 5, 5, 5, 1, 1, 1, 9, 9, 9, 1]
"""SMA(2) from bar 1: 5,5,5,3,1,1,5,9,9,5; SMA(3) from bar 2: 5,5,11/3,7/3,1,11/3,19/3,9,19/3.
Equal on bars 2–3, 6 and 9, so the crossings are bar 4 (down), 7 (up) and 10 (down)."""


def test_crossings_follow_the_hand_worked_averages():
    """Entry on bar 7, exits on bars 4 and 10 (equality before counts as not crossed)."""
    entries, exits = SPEC.signals(daily_bars(STEPS), {"fast": 2, "slow": 3})
    assert np.flatnonzero(entries).tolist() == [7]
    assert np.flatnonzero(exits).tolist() == [4, 10]


def test_flat_prices_never_cross():
    """On a constant series both averages are exactly equal: no signal at all."""
    entries, exits = SPEC.signals(daily_bars([0.1 * 3] * 40), {"fast": 3, "slow": 7})
    assert not entries.any() and not exits.any()


def test_overlays_are_the_two_averages():
    """Labels name the windows; values are the SMAs of the close."""
    lines = SPEC.overlays(daily_bars(STEPS), {"fast": 2, "slow": 3})
    assert list(lines) == ["SMA 2", "SMA 3"]
    np.testing.assert_allclose(lines["SMA 3"][2:5], [5, 5, 11 / 3], rtol=1e-15)
