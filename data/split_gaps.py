"""Split-like gaps and split events without one: the two ways bars and their splits can
disagree (pure numpy).

A file of prices as traded drops to a quarter at a 4:1 split; run as it stands, a backtest
takes that for a crash. On import, a bar whose open and close are both the previous close
divided by a common ratio (``COMMON_RATIOS``: 2:1, 3:1, 3:2, 4:1, 5:1, 10:1 and the reverse
splits 1:2 … 1:10), within ``OPEN_TOLERANCE`` and ``CLOSE_TOLERANCE``, with no split event on
its date, is a ``SplitGap``. The import warns naming its date and likely ratio, and refuses
the file with ``--strict``.

The open must match closely (an ex-date opens at the split price) and the close a little
less so (the day trades on); market moves of 30 % or more in one bar that also hold to the
close are rare enough in daily equity data that a flag costs the user one look.

The other way round, a split event on bars that show no jump at it (``find_unmoved_splits``):
the bars are already split-adjusted (a Yahoo export is), so adjusting them for the split
again divides the earlier prices twice. A split whose ex-bar opens and closes nearer the
previous close than the previous close divided by its ratio (nearer on a log scale: the
jump, if any, is less than half the split's) is an ``UnmovedSplit``; the import refuses it
naming the events file's line, unless told the bars are as traded. A split nearer 1 than
``MIN_CHECKED_RATIO`` (a 5:4, a stock dividend) is not checked: a day's move can hide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from data.adjust import ex_bars
from data.events import MAX_SPLIT_RATIO, SPLIT, Event, Events
from engine import Bars

COMMON_RATIOS = tuple(
    ratio
    for forward in map(Fraction, ("2", "3", "3/2", "4", "5", "10"))
    for ratio in (forward, 1 / forward)
)
"""Split ratios (new shares per old share) the check looks for, forward then reverse."""

OPEN_TOLERANCE = 0.04
"""How far (relative) the previous close over the open may be from a ratio."""

CLOSE_TOLERANCE = 0.12
"""How far (relative) the previous close over the close may be from a ratio."""

MIN_CHECKED_RATIO = 1.5
"""The smallest split (and, reversed, the largest reverse split, 2:3) checked for a jump."""


def ratio_text(ratio: Fraction) -> str:
    """A ratio as a split is named: ``4:1``, ``3:2``, ``1:10``."""
    return f"{ratio.numerator}:{ratio.denominator}"


@dataclass(frozen=True)
class SplitGap:
    """A bar (``index``, dated ``day``) that opens at the previous close divided by about
    ``ratio`` with no split event on its date."""

    index: int
    day: date
    ratio: Fraction
    previous_close: float
    open: float

    @property
    def ratio_text(self) -> str:
        """The ratio as a split is named: ``4:1``, ``3:2``, ``1:10``."""
        return ratio_text(self.ratio)

    def message(self) -> str:
        """One line naming the date, the jump and the likely ratio, pointing to ``--events``."""
        value = str(self.ratio.numerator)
        if self.ratio.denominator != 1:
            value += f",{self.ratio.denominator}"
        return (
            f"{self.day}: the price jumps from a close of {self.previous_close:g} to an open "
            f"of {self.open:g}, like a {self.ratio_text} split, and no split event is given; "
            f"if it is one, give it in an events file (--events, line "
            f"'{self.day},split,{value}')"
        )


def _near(jump: np.ndarray, ratio: float, tolerance: float) -> np.ndarray:
    return np.abs(jump / ratio - 1.0) <= tolerance


def find_split_gaps(bars: Bars, events: Events) -> list[SplitGap]:
    """The split-like gaps of ``bars`` that no split event of ``events`` explains, in date
    order (the module docstring)."""
    if len(bars) < 2:
        return []
    previous = bars.close[:-1]
    by_open = previous / bars.open[1:]
    by_close = previous / bars.close[1:]
    days = bars.timestamps.astype("datetime64[D]")
    split_days = {np.datetime64(event.day, "D") for event in events.of_type(SPLIT)}
    gaps: list[SplitGap] = []
    for ratio in COMMON_RATIOS:
        hits = np.flatnonzero(
            _near(by_open, float(ratio), OPEN_TOLERANCE)
            & _near(by_close, float(ratio), CLOSE_TOLERANCE)
        )
        for at in hits + 1:
            if days[at] not in split_days:
                day = days[at].astype(object)
                gaps.append(
                    SplitGap(int(at), day, ratio, float(bars.close[at - 1]), float(bars.open[at]))
                )
    return sorted(gaps, key=lambda gap: gap.index)


@dataclass(frozen=True)
class UnmovedSplit:
    """A split ``event`` whose ex-bar (``index``) shows no jump from the previous close."""

    event: Event
    index: int
    previous_close: float
    open: float
    close: float

    def message(self) -> str:
        """One line naming the split and the prices around it (what to do is the caller's)."""
        ratio = ratio_text(Fraction(self.event.value).limit_denominator(int(MAX_SPLIT_RATIO)))
        return (
            f"the {ratio} split on {self.event.day} shows no jump in the bars: the close "
            f"before it is {self.previous_close:g} and its bar opens at {self.open:g} and "
            f"closes at {self.close:g}, where a {ratio} split would open near "
            f"{self.previous_close / self.event.value:g}; the bars look split-adjusted already "
            "(a Yahoo export is), and adjusting them for it applies the split twice"
        )


def _nearer_one(jump: np.ndarray, ratio: float) -> np.ndarray:
    return np.abs(np.log(jump)) < np.abs(np.log(jump / ratio))


def find_unmoved_splits(bars: Bars, events: Events) -> list[UnmovedSplit]:
    """The split events of ``events`` whose ex-bar, inside ``bars`` after the first, opens
    and closes nearer the previous close than that close divided by the split's ratio, in
    date order; splits nearer 1 than ``MIN_CHECKED_RATIO`` are not checked (the module
    docstring)."""
    splits = events.of_type(SPLIT)
    found: list[UnmovedSplit] = []
    for event, at in zip(splits, ex_bars(bars, Events(splits)), strict=True):
        ratio = event.value
        if not 0 < at < len(bars) or 1 / MIN_CHECKED_RATIO < ratio < MIN_CHECKED_RATIO:
            continue
        previous = bars.close[at - 1]
        jumps = previous / np.array([bars.open[at], bars.close[at]])
        if _nearer_one(jumps, ratio).all():
            found.append(
                UnmovedSplit(
                    event, int(at), float(previous), float(bars.open[at]), float(bars.close[at])
                )
            )
    return found


__all__ = [
    "CLOSE_TOLERANCE",
    "COMMON_RATIOS",
    "MIN_CHECKED_RATIO",
    "OPEN_TOLERANCE",
    "SplitGap",
    "UnmovedSplit",
    "find_split_gaps",
    "find_unmoved_splits",
    "ratio_text",
]
