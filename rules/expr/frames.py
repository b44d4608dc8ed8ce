"""Higher timeframes for ``tf("1w", x)``: which bar falls in which calendar period, the
period bars (OHLCV aggregated) and the alignment that shows, on each bar, only the last
period completed before that bar's period began.

Periods are calendar periods in UTC: ``1d`` a UTC date, ``1w`` a week from Monday 00:00 UTC
to the next Monday 00:00 UTC, ``1M`` a calendar month. A bar belongs to the period holding
its timestamp. A period's bar: the open of its first bar, the highest high, the lowest low,
the close of its last bar, the summed volume, stamped with its last bar's timestamp.

No look-ahead: on a bar of period p the value is that of period p − 1 (the last period that
has ended), so a week's value appears from the first bar after the week ends and never while
the week is still running, even on its last bar. Pure numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

FRAMES = ("1d", "1w", "1M")
"""The timeframes ``tf`` accepts: a UTC day, a Monday-to-Sunday UTC week, a calendar month."""

BARS_PER_FRAME = {"1d": 1, "1w": 5, "1M": 21}
"""Daily bars in one period, as the warm-up counts them (``rules.expr.lookback``): 5 a
week, 21 a month (252 / 12); an intraday run's warm-up is counted in these daily figures."""

_MONDAY_OFFSET = 3
"""1970-01-01 was a Thursday: days since the epoch plus 3, floor-divided by 7, number the
Monday-started weeks."""


def period_ids(timestamps: np.ndarray, frame: str) -> np.ndarray:
    """The calendar period of each timestamp (int64; later periods have larger ids).

    >>> stamps = np.array(["2024-01-05T21:00", "2024-01-08T21:00"], dtype="datetime64[s]")
    >>> (period_ids(stamps, "1w")[1] - period_ids(stamps, "1w")[0]).item()
    1
    """
    stamps = np.asarray(timestamps, dtype="datetime64[s]")
    if frame == "1M":
        return stamps.astype("datetime64[M]").astype(np.int64)
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if frame == "1d":
        return days
    assert frame == "1w"
    return (days + _MONDAY_OFFSET) // 7


def resample(bars: Bars, frame: str) -> tuple[Bars, np.ndarray]:
    """(the period bars of ``bars``, the index of each bar's period among them)."""
    from engine import Bars

    ids = period_ids(bars.timestamps, frame)
    if len(ids) == 0:
        return bars, np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)] - 1
    period = np.cumsum(np.r_[0, (ids[1:] != ids[:-1]).astype(np.intp)])
    higher = Bars(
        bars.timestamps[ends],
        bars.open[starts],
        np.maximum.reduceat(bars.high, starts),
        np.minimum.reduceat(bars.low, starts),
        bars.close[ends],
        np.add.reduceat(bars.volume, starts),
    )
    return higher, period.astype(np.intp)


def as_of(timestamps: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each of ``timestamps``, the index of the last of ``other`` at or before it (−1
    before the first): an as-of join's positions."""
    return np.searchsorted(other, timestamps, side="right").astype(np.intp) - 1


def take(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Columns ``index`` of the (K, P) ``values`` as floats, NaN where ``index`` < 0."""
    out = np.asarray(values, dtype=np.float64)[:, np.maximum(index, 0)]
    out[:, index < 0] = np.nan
    return out
