"""The universe's union calendar (``kinds.portfolios.universe.union_calendar``) is what a
sort of every ticker's days gives: the sorted distinct days, and each day's index on them,
for calendars that start late, end early, skip days and precede 1970."""

from __future__ import annotations

import numpy as np

from kinds.portfolios.universe import union_calendar


def test_the_union_calendar_is_the_sorted_distinct_days_and_each_tickers_index_on_them():
    rng = np.random.default_rng(7)
    first = np.datetime64("1965-03-01")
    stamps = []
    for _ in range(40):
        days = first + np.flatnonzero(rng.random(4000) < 0.7)
        start, stop = sorted(rng.integers(0, days.size, 2))
        stamps.append(days[start : stop + 1].astype("datetime64[D]"))
    days, rows = union_calendar(stamps)
    expected = np.unique(np.concatenate(stamps))
    assert days.dtype == expected.dtype and np.array_equal(days, expected)
    for own, at in zip(stamps, rows, strict=True):
        assert at.dtype == np.intp and np.array_equal(at, np.searchsorted(expected, own))
