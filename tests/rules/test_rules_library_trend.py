"""rules.library.trend: ADX and directional indicators on a hand-made up-then-down series."""

from __future__ import annotations

import numpy as np

from engine import Bars
from rules.library.trend import SPEC
from tests.bars import daily_bars

HIGH = [1, 2, 3, 4, 5, 6, 5, 4, 3, 2]
"""Lows are high − 1 and closes high − 0.5: every up bar has +DM 1, every down bar −DM 1, and
the true range is always 1.5."""


def _bars(high: list[float]) -> Bars:
    """Bars with these highs, each bar opening and closing 0.5 below its high, low 1 below."""
    h = np.asarray(high, dtype=float)
    return daily_bars(h - 0.5, high=h, low=h - 1)


def test_entry_in_the_strong_up_trend_exit_when_minus_di_leads():
    """period 2: +DI = 100·1.5/1.5… 66.7 > −DI = 0 on bars 2–5, ADX = 100 from bar 3 (its
    first value); bar 6: S(+DM) = 0.75 < S(−DM) = 1, so −DI leads from there on."""
    entries, exits = SPEC.signals(_bars(HIGH), {"period": 2, "adx_threshold": 25})
    assert np.flatnonzero(entries).tolist() == [3, 4, 5]
    assert np.flatnonzero(exits).tolist() == [6, 7, 8, 9]


def test_adx_must_exceed_the_threshold():
    """ADX is exactly 100 on the up bars, and 100 is not above 100."""
    entries, _ = SPEC.signals(_bars(HIGH), {"period": 2, "adx_threshold": 100})
    assert not entries.any()


def test_no_entry_before_the_adx_warm_up():
    """With period 3 ADX starts at bar 5, the last up bar; the slower average keeps +DI
    ahead one bar into the fall (bar 6: S(+DM) ≈ 1.80 > S(−DM) = 1)."""
    entries, _ = SPEC.signals(_bars(HIGH), {"period": 3, "adx_threshold": 0})
    assert np.flatnonzero(entries).tolist() == [5, 6]
