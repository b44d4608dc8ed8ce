"""rules.library.volume: volume spikes on up closes, exits below the close average."""

from __future__ import annotations

import numpy as np

from rules.library.volume import SPEC
from tests.bars import daily_bars

CLOSE = [10, 11, 10, 12, 11, 9]
VOLUME = [1, 1, 1, 4, 1, 5]
PARAMS = {"volume_period": 2, "volume_factor": 1.5, "exit_period": 2}


def test_entry_needs_a_spike_and_an_up_close_exit_is_below_the_average():
    """Bar 3: 4 > 1.5·2.5 and 12 > 10. Bar 5: 5 > 1.5·3 but 9 < 11, no entry. Exits where
    close < SMA(2): bar 2 (10 < 10.5), 4 (11 < 11.5), 5 (9 < 10)."""
    entries, exits = SPEC.signals(daily_bars(CLOSE, spread=0.5, volume=VOLUME), PARAMS)
    assert np.flatnonzero(entries).tolist() == [3]
    assert np.flatnonzero(exits).tolist() == [2, 4, 5]


def test_spike_threshold_is_strict():
    """Volume equal to factor × average is not a spike (4 == 1.6 · 2.5)."""
    entries, _ = SPEC.signals(
        daily_bars(CLOSE, spread=0.5, volume=VOLUME), {**PARAMS, "volume_factor": 1.6}
    )
    assert not entries.any()


def test_no_signal_during_the_averages_warm_up():
    """With 4-bar averages nothing can fire before bar 3."""
    entries, exits = SPEC.signals(
        daily_bars(CLOSE, spread=0.5, volume=VOLUME),
        {"volume_period": 4, "volume_factor": 1.0, "exit_period": 4},
    )
    assert not entries[:3].any() and not exits[:3].any()
    assert np.flatnonzero(entries).tolist() == [3, 5][: int(entries.sum())]


def test_overlay_is_the_exit_average():
    """The close SMA on the price scale."""
    lines = SPEC.overlays(daily_bars(CLOSE, spread=0.5, volume=VOLUME), PARAMS)
    np.testing.assert_array_equal(lines["SMA (2)"], [np.nan, 10.5, 10.5, 11, 11.5, 10])
