"""adapters._ticks: calendar ticks on bar indices and round value ticks for the charts."""

from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adapters._ticks import date_ticks, value_ticks


def _range(first: str, last: str, step: str) -> np.ndarray:
    unit = np.timedelta64(int(step[:-1]), step[-1])
    stop = np.datetime64(last, "s") + unit
    return np.arange(np.datetime64(first, "s"), stop, unit)


def test_multi_year_daily_bars_get_a_tick_every_second_year_on_the_first_bar_of_the_year():
    """2004-08..2013-03 (8.5 years): yearly steps would give 9 > 6 ticks, so every 2 years."""
    ts = _range("2004-08-19T21:00", "2013-03-01T21:00", "1D")
    at, labels = date_ticks(ts)
    assert labels == ["2006", "2008", "2010", "2012"]
    expected = [int(np.argmax(ts >= np.datetime64(f"{y}-01-01", "s"))) for y in labels]
    assert at == expected


def test_months_are_aligned_to_the_calendar():
    """Mid-January to September: every 2nd month from January (Mar, May, Jul, Sep)."""
    at, labels = date_ticks(_range("2020-01-15T21:00", "2020-09-01T21:00", "1D"))
    assert labels == ["Mar 2020", "May 2020", "Jul 2020", "Sep 2020"]
    assert at == [46, 107, 168, 230]  # days from 2020-01-15 to Mar 1, May 1, Jul 1, Sep 1


def test_weekly_ticks_fall_on_mondays():
    """Two and a half weeks of daily bars: weekly ticks, each on a Monday."""
    ts = _range("2020-01-15T00:00", "2020-02-01T00:00", "1D")
    at, labels = date_ticks(ts)
    assert labels == ["20 Jan 2020", "27 Jan 2020"]
    assert [datetime.fromisoformat(str(ts[i])).weekday() for i in at] == [0, 0]


def test_hour_ticks_on_half_hour_bars_name_the_bars_own_time():
    """Hourly session bars at :30 (the hourly demo data): each tick names its bar's time."""
    days = np.array(["2024-06-03", "2024-06-04"], dtype="datetime64[m]")
    session = np.arange(14 * 60 + 30, 21 * 60, 60).astype("timedelta64[m]")
    ts = (days[:, None] + session[None, :]).ravel().astype("datetime64[s]")
    at, labels = date_ticks(ts)
    assert labels == [f"{str(ts[i])[8:10]} Jun {str(ts[i])[11:16]}" for i in at]
    assert all(label.endswith(":30") for label in labels)


def test_intraday_ticks_use_hours_then_minutes():
    """A 09:30-16:00 session ticks every 3 hours; a half hour of 1-minute bars every 15 min."""
    assert date_ticks(_range("2020-01-15T09:30", "2020-01-15T16:00", "30m")) == (
        [5, 11],
        ["15 Jan 12:00", "15 Jan 15:00"],
    )
    assert date_ticks(_range("2020-01-15T09:30", "2020-01-15T10:00", "1m")) == (
        [0, 15, 30],
        ["09:30", "09:45", "10:00"],
    )


def test_boundaries_inside_a_gap_collapse_onto_the_next_bar_with_its_own_label():
    """Hours 23:00..02:00 all fall in the gap before the second bar: one tick, "02:00"."""
    ts = np.array(["2020-01-15T22:10", "2020-01-16T02:00"], dtype="datetime64[s]")
    assert date_ticks(ts) == ([1], ["16 Jan 02:00"])


def test_degenerate_inputs_get_at_most_one_tick():
    """No bars: no ticks. One bar inside a minute: the bar itself, labelled in full."""
    assert date_ticks(np.array([], dtype="datetime64[s]")) == ([], [])
    assert date_ticks(np.array(["2020-01-15T09:30:30"], dtype="datetime64[s]")) == (
        [0],
        ["2020-01-15 09:30"],
    )


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=2_000_000_000),
    count=st.integers(min_value=1, max_value=3000),
    step=st.sampled_from([60, 300, 3600, 86_400, 7 * 86_400, 30 * 86_400]),
    max_ticks=st.integers(min_value=2, max_value=8),
)
def test_date_ticks_are_few_increasing_and_inside_the_bars(start, count, step, max_ticks):
    """Any regular series: at most max_ticks strictly increasing bar indices, one label each."""
    ts = (start + np.arange(count) * step).astype("datetime64[s]")
    at, labels = date_ticks(ts, max_ticks)
    assert 1 <= len(at) <= max_ticks and len(labels) == len(at)
    assert all(0 <= i < count for i in at)
    assert all(a < b for a, b in itertools.pairwise(at))


def test_value_ticks_pick_round_steps_and_label_them():
    """0..100 in steps of 25; thousands get separators; 2.5 steps get one decimal."""
    assert value_ticks(0.0, 100.0) == (
        [0.0, 25.0, 50.0, 75.0, 100.0],
        ["0", "25", "50", "75", "100"],
    )
    assert value_ticks(95_000.0, 123_456.7)[1] == ["100,000", "110,000", "120,000"]
    assert value_ticks(-12.0, 0.3, suffix="%")[1] == ["-10.0%", "-7.5%", "-5.0%", "-2.5%", "0.0%"]
    assert value_ticks(0.5, 0.51)[1] == ["0.5000", "0.5025", "0.5050", "0.5075", "0.5100"]


@pytest.mark.parametrize(
    "lo, hi", [(1.0, 1.0), (2.0, 1.0), (0.0, float("nan")), (0.0, float("inf"))]
)
def test_value_ticks_are_empty_for_an_empty_or_non_finite_range(lo, hi):
    """No range, a reversed range or a non-finite bound: no ticks."""
    assert value_ticks(lo, hi) == ([], [])


@settings(max_examples=300, deadline=None)
@given(
    lo=st.floats(min_value=-1e9, max_value=1e9),
    width=st.floats(min_value=1e-6, max_value=1e9),
    max_ticks=st.integers(min_value=3, max_value=8),
)
def test_value_ticks_are_evenly_spaced_inside_the_range(lo, width, max_ticks):
    """2..max_ticks ticks, all in [lo, hi], equally spaced (for ranges wider than 1e-9 of
    their magnitude: chart ranges, not float-resolution slivers)."""
    assume(width > 1e-9 * abs(lo))
    hi = lo + width
    values, labels = value_ticks(lo, hi, max_ticks)
    assert 2 <= len(values) <= max_ticks and len(labels) == len(values)
    assert lo <= values[0] and values[-1] <= hi
    step = values[1] - values[0]
    grid = values[0] + step * np.arange(len(values))
    assert np.allclose(values, grid, rtol=0, atol=1e-9 * max(abs(lo), abs(hi), width))
