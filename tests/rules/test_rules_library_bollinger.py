"""rules.library.bollinger: band crossings of the close on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.bollinger import SPEC
from tests.bars import daily_bars

SPIKES = [10, 10, 10, 10, 4, 10, 10, 10, 16, 10]
"""Windows of 3: flat 10s give bands 10/10/10; [10,10,4] has mean 8 and std √8 ≈ 2.83, so
the lower band is ≈ 5.17 and the close 4 is below it; [10,10,16] has mean 12, upper ≈ 14.83,
and the close 16 is above it."""


def test_entry_below_lower_band_exit_above_upper_band():
    """Entry on the dip bar 4, exit on the spike bar 8 (the bar before sits on the band)."""
    entries, exits = SPEC.signals(daily_bars(SPIKES), {"period": 3, "std_dev": 1.0})
    assert np.flatnonzero(entries).tolist() == [4]
    assert np.flatnonzero(exits).tolist() == [8]


def test_wider_bands_filter_the_moves():
    """At 2 std the dip (z ≈ −1.41) and the spike (z ≈ 1.41) stay inside the bands."""
    entries, exits = SPEC.signals(daily_bars(SPIKES), {"period": 3, "std_dev": 2.0})
    assert not entries.any() and not exits.any()


def test_overlays_are_the_three_bands():
    """Middle, upper and lower lines, labelled with period and width."""
    lines = SPEC.overlays(daily_bars(SPIKES), {"period": 3, "std_dev": 1.0})
    assert list(lines) == ["BB middle (3, 1)", "BB upper (3, 1)", "BB lower (3, 1)"]
    assert lines["BB lower (3, 1)"][4] == 8 - np.sqrt(8)
