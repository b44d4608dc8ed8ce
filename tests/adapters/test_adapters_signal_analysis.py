"""adapters.signal_analysis on a six-bar hand-made series whose answers are worked out below.

close = 10, 11, 12, 9, 9, 18 (daily); entries on bars 0, 2, 3; exits on bars 2, 5.
Forward returns at h = 1: bar 0 → 11/10 − 1 = 0.1, bar 2 → 9/12 − 1 = −0.25, bar 3 → 0;
at h = 2: 0.2, −0.25, 18/9 − 1 = 1.0. Every bar at h = 1 (the baseline): 0.1, 1/11, −0.25,
0, 1.0.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from adapters.signal_analysis import (
    analyze_signals,
    forward_returns,
    gap_stats,
    return_stats,
    signal_series,
    signal_warnings,
)
from tests.adapters.support import make_bars

CLOSE = [10.0, 11, 12, 9, 9, 18]
ENTRIES = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
EXITS = np.array([0, 0, 1, 0, 0, 1], dtype=bool)


def _analysis(warmup: int = 0) -> dict:
    return analyze_signals(make_bars(CLOSE), ENTRIES, EXITS, (1, 2), warmup)


def _row(analysis: dict, horizon: int) -> dict:
    return next(row for row in analysis["forward_returns"] if row["horizon"] == horizon)


def test_counts_frequency_and_gaps():
    """3 entries (2 runs) on 6 bars = 50 per 100 bars; gaps 2 and 1 bar; bar 2 is both."""
    analysis = _analysis()
    entries = analysis["entries"]
    assert entries["count"] == 3
    assert entries["episodes"] == 2  # bar 0, then bars 2-3
    assert entries["per_100_bars"] == 50
    assert entries["per_year"] == pytest.approx(3 / (5 / 365.25))
    assert entries["gap_bars"] == {"min": 1, "median": 1.5, "max": 2}
    assert entries["first"] == "2024-01-01T21:00:00+00:00"
    assert entries["last"] == "2024-01-04T21:00:00+00:00"
    assert analysis["exits"]["gap_bars"] == {"min": 3, "median": 3.0, "max": 3}
    assert analysis["conflicting_bars"] == 1
    assert analysis["bars"] == 6


def test_forward_returns_after_entries_at_each_horizon():
    """Mean, median and hit rate (share strictly above 0: a flat bar is no hit)."""
    one, two = _row(_analysis(), 1)["entries"], _row(_analysis(), 2)["entries"]
    assert one["count"] == 3
    assert one["mean"] == pytest.approx((0.1 - 0.25 + 0) / 3)
    assert one["median"] == pytest.approx(0.0)
    assert one["hit_rate"] == pytest.approx(1 / 3)
    assert two["mean"] == pytest.approx((0.2 - 0.25 + 1.0) / 3)
    assert two["median"] == pytest.approx(0.2)
    assert two["hit_rate"] == pytest.approx(2 / 3)


def test_a_signal_whose_horizon_passes_the_window_end_is_not_counted():
    """The exit on bar 5 (the last) has no bar 6: only bar 2's exit counts."""
    exits = _row(_analysis(), 1)["exits"]
    assert exits["count"] == 1
    assert exits["mean"] == pytest.approx(-0.25)


def test_the_baseline_is_every_eligible_bar():
    """All five bars with a next bar; with a warm-up of 2 bars only bars 2, 3 and 4."""
    baseline = _row(_analysis(), 1)["baseline"]
    assert baseline["count"] == 5
    assert baseline["mean"] == pytest.approx((0.1 + 1 / 11 - 0.25 + 0 + 1.0) / 5)
    assert baseline["hit_rate"] == pytest.approx(3 / 5)
    warm = _row(_analysis(warmup=2), 1)["baseline"]
    assert warm["count"] == 3
    assert warm["mean"] == pytest.approx((-0.25 + 0 + 1.0) / 3)


def test_empty_sets_are_none_not_nan_and_the_answer_is_strict_json():
    """No entries: count 0, every statistic None; json.dumps refuses NaN and accepts it."""
    none = np.zeros(6, dtype=bool)
    analysis = analyze_signals(make_bars(CLOSE), none, none, (1, 20))
    assert _row(analysis, 1)["entries"] == {
        "count": 0,
        "mean": None,
        "median": None,
        "hit_rate": None,
    }
    assert _row(analysis, 20)["baseline"]["count"] == 0
    assert analysis["entries"]["first"] is None
    json.dumps(analysis, allow_nan=False)


def test_helpers_on_their_own():
    """forward_returns drops late bars; gap_stats needs two signals; return_stats counts."""
    close = np.array([1.0, 2.0, 4.0])
    assert forward_returns(close, np.array([0, 1, 2]), 1).tolist() == [1.0, 1.0]
    assert gap_stats(np.array([4])) == {"min": None, "median": None, "max": None}
    assert return_stats(np.array([0.5, -0.5]))["hit_rate"] == 0.5


def test_warnings_never_fires_and_warm_up():
    """No entries → never_fires; a warm-up reaching into the window is named with its size."""
    none = np.zeros(6, dtype=bool)
    analysis = analyze_signals(make_bars(CLOSE), none, EXITS, (1,), 2)
    codes = [w["code"] for w in signal_warnings(analysis, 30)]
    assert codes == ["never_fires", "warmup_in_window"]
    assert "30 bars" in signal_warnings(analysis, 30)[1]["message"]


def test_warnings_fire_on_most_bars_only_above_half():
    """3 of 6 bars (50%) is not most; 4 of 6 is; entries without exits → never_exits."""
    assert signal_warnings(_analysis(), 0) == []
    most = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    analysis = analyze_signals(make_bars(CLOSE), most, np.zeros(6, dtype=bool), (1,))
    warnings = signal_warnings(analysis, 0)
    assert [w["code"] for w in warnings] == ["fires_on_most_bars", "never_exits"]
    assert "67%" in warnings[0]["message"]


def test_signal_series_for_the_chart():
    """Closes and the indices of the signal bars."""
    series = signal_series(make_bars(CLOSE), ENTRIES, EXITS)
    assert series["close"] == CLOSE
    assert series["entry_bars"] == [0, 2, 3]
    assert series["exit_bars"] == [2, 5]
    assert len(series["timestamps"]) == 6
