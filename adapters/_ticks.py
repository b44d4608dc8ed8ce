"""Axis ticks for the charts, computed with numpy alone (cheap, deterministic, testable).

Charts put bars at x = 0, 1, 2, … (no gaps for weekends or holidays), so a date tick is
the index of the first bar at or after a calendar boundary (a new year, month, week, …).
Hour and minute ticks are labelled with that bar's own time (hourly bars at :30 get
":30" labels, never the boundary's ":00", and a night gap never shows a time with no bar).
"""

from __future__ import annotations

import math

import numpy as np

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_DATE_STEPS = (
    ("m", 1),
    ("m", 5),
    ("m", 15),
    ("m", 30),
    ("h", 1),
    ("h", 3),
    ("h", 6),
    ("h", 12),
    ("D", 1),
    ("D", 2),
    ("D", 7),
    ("D", 14),
    ("M", 1),
    ("M", 2),
    ("M", 3),
    ("M", 6),
    ("Y", 1),
    ("Y", 2),
    ("Y", 5),
    ("Y", 10),
    ("Y", 20),
    ("Y", 50),
    ("Y", 100),
)
"""Candidate tick spacings (numpy datetime unit, step), finest first."""

_WEEK_OFFSET = 3
"""Day 0 (1970-01-01) was a Thursday: (day + 3) % 7 == 0 puts weekly ticks on Mondays."""


def date_ticks(timestamps: np.ndarray, max_ticks: int = 6) -> tuple[list[int], list[str]]:
    """Bar indices and labels of at most ``max_ticks`` evenly spaced calendar boundaries.

    Picks the finest spacing (minutes … centuries) with at most ``max_ticks`` boundaries
    inside the bars' time range. Without any, labels the first bar.

    >>> ts = np.arange("2004-08-19", "2013-03-02", dtype="datetime64[D]")
    >>> date_ticks(ts.astype("datetime64[s]"))[1]
    ['2006', '2008', '2010', '2012']
    """
    ts = np.asarray(timestamps, dtype="datetime64[s]")
    if not ts.size:
        return [], []
    for unit, step in _DATE_STEPS:
        boundaries = _boundaries(ts[0], ts[-1], unit, step, max_ticks)
        if boundaries is None:
            continue
        if boundaries.size:
            positions = np.searchsorted(ts, boundaries.astype("datetime64[s]"))
            # Across a gap several boundaries fall on one bar: keep the last (the bar's own).
            keep = np.append(positions[1:] != positions[:-1], True)
            shown = boundaries[keep]
            if unit in ("h", "m"):  # sub-day ticks name the bar's own time
                shown = ts[positions[keep]].astype("datetime64[m]")
            return positions[keep].tolist(), _date_labels(shown, unit)
        break
    return [0], [str(np.datetime_as_string(ts[0], unit="m")).replace("T", " ")]


def _boundaries(
    first: np.datetime64, last: np.datetime64, unit: str, step: int, max_ticks: int
) -> np.ndarray | None:
    """Aligned boundaries of ``unit × step`` in [first, last]; None if more than max_ticks."""
    offset = _WEEK_OFFSET if unit == "D" and step in (7, 14) else 0
    start = first.astype(f"datetime64[{unit}]")
    lo = int(start.astype(np.int64)) + (start.astype("datetime64[s]") < first)
    hi = int(last.astype(f"datetime64[{unit}]").astype(np.int64))
    lo = -((-lo - offset) // step) * step - offset  # round up to (k + offset) % step == 0
    if (hi - lo) // step + 1 > max_ticks:
        return None
    return np.arange(lo, hi + 1, step).astype(f"datetime64[{unit}]")


def _date_labels(boundaries: np.ndarray, unit: str) -> list[str]:
    if unit == "Y":
        return np.datetime_as_string(boundaries, unit="Y").tolist()
    months = boundaries.astype("datetime64[M]").astype(np.int64) % 12
    if unit == "M":
        years = np.datetime_as_string(boundaries, unit="Y")
        return [f"{_MONTHS[m]} {y}" for m, y in zip(months, years, strict=True)]
    days = np.datetime_as_string(boundaries, unit="D")
    if unit == "D":
        return [f"{d[8:]} {_MONTHS[m]} {d[:4]}" for m, d in zip(months, days, strict=True)]
    times = np.datetime_as_string(boundaries, unit="m")
    if unit == "h":
        return [f"{t[8:10]} {_MONTHS[m]} {t[11:]}" for m, t in zip(months, times, strict=True)]
    return [t[11:] for t in times.tolist()]


def value_ticks(
    lo: float, hi: float, max_ticks: int = 5, suffix: str = ""
) -> tuple[list[float], list[str]]:
    """At most ``max_ticks`` round values (1, 2, 2.5, 5 × 10^k apart) in [lo, hi], labelled
    with thousands separators, just enough decimals, and ``suffix``.

    >>> value_ticks(0.0, 100.0)
    ([0.0, 25.0, 50.0, 75.0, 100.0], ['0', '25', '50', '75', '100'])
    >>> value_ticks(-12.0, 0.3, suffix="%")[1]
    ['-10.0%', '-7.5%', '-5.0%', '-2.5%', '0.0%']
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [], []
    exponent = math.floor(math.log10((hi - lo) / max_ticks))
    for magnitude in (10.0**exponent, 10.0 ** (exponent + 1), 10.0 ** (exponent + 2)):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * magnitude
            first, last = math.ceil(lo / step), math.floor(hi / step)
            first += first * step < lo  # lo / step may round (or underflow) across a tick
            last -= last * step > hi
            if last - first + 1 <= max_ticks:
                decimals = max(0, -math.floor(math.log10(step) + 1e-9))
                decimals += mantissa == 2.5 and step < 10
                values = [k * step for k in range(first, last + 1)]
                return values, [f"{v:,.{decimals}f}{suffix}" for v in values]
    return [], []
