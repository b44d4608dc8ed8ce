"""Split and dividend events derived from a file's ``Close`` and ``Adj Close`` (best effort).

Yahoo's ``Adj Close`` is the close back-adjusted for splits and dividends
(``data.adjust.total_return_adjusted``): ``Adj Close / Close`` is the product of the factors
of every later event. Between two bars that ratio changes only at an ex-bar, by the factor
of that bar's events: ``m = f[t-1] / f[t]``. ``events_from_adjusted`` reads each change back
as an event dated at the bar:

* ``m`` times a common split ratio (``data.split_gaps.COMMON_RATIOS``) between
  ``1 - MAX_DIVIDEND_YIELD`` and 1 is that split (``m = 1/r``), and what remains a dividend;
* otherwise ``m`` between ``1 - MAX_DIVIDEND_YIELD`` and 1 is a dividend
  ``d = (1 - m) * close[t-1]``;
* a change within the rounding of the two columns (``noise_bound``) is no event.

Best effort, as the columns allow: a file whose ``Close`` is already split-adjusted (what
Yahoo's site and yfinance give) shows its dividends only, in split-adjusted amounts; a split
of an uncommon ratio, or a change that fits neither rule, is refused naming its line. The
events reproduce the file's ``Adj Close`` (to the rounding of its cells) when its last bar's
``Adj Close`` equals its ``Close``, as Yahoo's does.
"""

from __future__ import annotations

import numpy as np

from data.errors import DataQualityError
from data.events import DIVIDEND, SPLIT, Event, Events
from data.split_gaps import COMMON_RATIOS
from engine import Bars

MAX_DIVIDEND_YIELD = 0.25
"""The largest dividend (as a share of the close before it) read from a change of ratio."""

CELL_ROUNDING = 5e-7
"""Half a unit of the sixth decimal: the rounding assumed of each price cell."""


def noise_bound(close: np.ndarray, adjusted: np.ndarray) -> np.ndarray:
    """For each bar from the second: the largest relative change of ``adjusted / close``
    from the previous bar that rounding of the four cells to six decimals can make (×2)."""
    inverse = CELL_ROUNDING / close + CELL_ROUNDING / adjusted
    return 2.0 * (inverse[1:] + inverse[:-1]) + 1e-12


def first_difference(close: np.ndarray, adjusted: np.ndarray) -> int | None:
    """The index of the first bar whose ``adjusted`` (``Adj Close``) differs from its
    ``close`` by more than the rounding of the two cells (a non-number differs); None when
    none does: the file's ``Adj Close`` holds no event."""
    positive = np.where(adjusted > 0, adjusted, 1.0)
    tolerance = 2.0 * (CELL_ROUNDING / close + CELL_ROUNDING / positive) + 1e-12
    same = (adjusted > 0) & (np.abs(positive / close - 1.0) <= tolerance)
    differs = np.flatnonzero(~same)
    return int(differs[0]) if len(differs) else None


def _split_of(m: float, noise: float) -> float | None:
    """The common split ratio ``r`` whose ``m * r`` lies in ``(1 - MAX_DIVIDEND_YIELD, 1]``
    (1 within ``noise``) nearest 1 (None when none does)."""
    best, distance = None, None
    for ratio in COMMON_RATIOS:
        rest = m * float(ratio)
        if 1.0 - MAX_DIVIDEND_YIELD < rest <= 1.0 + noise and (
            distance is None or abs(1.0 - rest) < distance
        ):
            best, distance = float(ratio), abs(1.0 - rest)
    return best


def events_from_adjusted(
    bars: Bars, adjusted: np.ndarray, lines: list[int] | None = None, file: str = ""
) -> Events:
    """The split and dividend events that turn ``bars.close`` into ``adjusted`` (the file's
    ``Adj Close``), dated at their ex-bars (the module docstring).

    :raise DataQualityError: naming the line (``lines[t]``, else ``t + 2``) of a bar whose
        change of ratio is neither a common split nor a dividend, or a non-positive cell.
    """
    close = bars.close
    adjusted = np.asarray(adjusted, dtype=np.float64)
    line_of = (lambda t: lines[t]) if lines is not None else (lambda t: t + 2)
    bad = np.flatnonzero(~(adjusted > 0) | ~np.isfinite(adjusted))
    if len(bad):
        raise DataQualityError(line_of(int(bad[0])), "Adj Close must be a positive number")
    ratio = adjusted / close
    change = ratio[:-1] / ratio[1:]
    noise = noise_bound(close, adjusted)
    days = bars.timestamps.astype("datetime64[D]")
    events: list[Event] = []
    for t in np.flatnonzero(np.abs(change - 1.0) > noise) + 1:
        m = float(change[t - 1])
        day = days[t].astype(object)
        split = _split_of(m, float(noise[t - 1]))
        if split is not None and abs(m * split - 1.0) > noise[t - 1]:
            rest = m * split
        elif split is not None:
            rest = 1.0
        elif 1.0 - MAX_DIVIDEND_YIELD < m < 1.0:
            rest = m
        else:
            raise DataQualityError(
                line_of(int(t)),
                f"Adj Close / Close changes by {m:.6g} from the bar before: neither a common "
                "split nor a dividend (--events-from-adjusted is best effort: give the events "
                "with --events)",
            )
        if split is not None:
            events.append(Event(day, SPLIT, split))
        if rest != 1.0:
            events.append(Event(day, DIVIDEND, (1.0 - rest) * float(close[t - 1])))
    return Events(tuple(events), file)


__all__ = [
    "CELL_ROUNDING",
    "MAX_DIVIDEND_YIELD",
    "events_from_adjusted",
    "first_difference",
    "noise_bound",
]
