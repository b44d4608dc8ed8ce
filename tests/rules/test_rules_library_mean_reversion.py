"""rules.library.mean_reversion: z-score entries and exits on a hand-made series."""

from __future__ import annotations

import numpy as np

from rules.library.mean_reversion import SPEC
from tests.bars import daily_bars

DIP = [10, 10, 10, 4, 10, 10, 10]
"""Windows of 3: [10,10,4] mean 8, std √8, z of 4 = −√2 ≈ −1.41; [10,4,10] and [4,10,10]
z of 10 = 1/√2 ≈ 0.71; flat windows have std 0 and no z-score."""


def test_entry_below_entry_z_exit_above_exit_z():
    """Entry on the dip (z −1.41 < −1), exits while z 0.71 > 0.5; flat windows are silent."""
    entries, exits = SPEC.signals(daily_bars(DIP), {"period": 3, "entry_z": -1.0, "exit_z": 0.5})
    assert np.flatnonzero(entries).tolist() == [3]
    assert np.flatnonzero(exits).tolist() == [4, 5]


def test_deeper_entry_level_filters_the_dip():
    """z −1.41 is not below −1.5."""
    entries, _ = SPEC.signals(daily_bars(DIP), {"period": 3, "entry_z": -1.5, "exit_z": 0.5})
    assert not entries.any()


def test_overlays_put_the_z_levels_on_the_price_scale():
    """The entry level is SMA + entry_z · std: 8 − √8 on the dip bar."""
    lines = SPEC.overlays(daily_bars(DIP), {"period": 3, "entry_z": -1.0, "exit_z": 0.5})
    assert list(lines) == ["SMA 3", "Entry level (z -1)", "Exit level (z 0.5)"]
    assert lines["Entry level (z -1)"][3] == 8 - np.sqrt(8)
