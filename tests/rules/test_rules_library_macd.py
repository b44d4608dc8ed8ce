"""rules.library.macd: MACD/signal-line crossings on a hand-made V-shaped series."""

from __future__ import annotations

import numpy as np

from rules.indicators import macd
from rules.library.macd import SPEC, batch, lines_batch
from tests.bars import daily_bars

V_SHAPE = [8, 6, 4, 2, 4, 6, 8, 6, 4]
"""With fast 2, slow 3, signal 2 (exact rational arithmetic): MACD −1, −1, −1/3, 2/9, 31/54,
35/324 … and signal −1, −5/9, −1/27, 10/27, 95/486 … from bars 2 and 3: equal on bar 3,
MACD above on bars 4–6, below from bar 7."""


def test_entry_on_cross_above_exit_on_cross_below():
    """Cross above on bar 4 (after equality on bar 3), cross below on bar 7."""
    entries, exits = SPEC.signals(daily_bars(V_SHAPE), {"fast": 2, "slow": 3, "signal": 2})
    assert np.flatnonzero(entries).tolist() == [4]
    assert np.flatnonzero(exits).tolist() == [7]


def test_lines_batch_equals_macd_indicator():
    """The batch MACD and signal lines are the indicator's, bit for bit."""
    bars = daily_bars(V_SHAPE * 3)
    combos = [{"fast": 2, "slow": 3, "signal": 2}, {"fast": 3, "slow": 7, "signal": 4}]
    lines, signals = lines_batch(bars, combos, {})
    for row, p in enumerate(combos):
        line, signal, _ = macd(bars.close, p["fast"], p["slow"], p["signal"])
        np.testing.assert_array_equal(lines[row], line)
        np.testing.assert_array_equal(signals[row], signal)


def test_batch_caches_one_line_per_fast_slow_pair():
    """Combos differing only by signal share one cached MACD line."""
    cache: dict = {}
    combos = [{"fast": 2, "slow": 3, "signal": g} for g in (2, 3, 4)]
    entries, _ = batch(daily_bars(V_SHAPE * 2), combos, cache)
    assert entries.shape == (3, 18)
    assert [key for key in cache if key[0] == "macd_line"] == [("macd_line", 2, 3)]
