"""Split-like gaps: one-bar price jumps that look like an unrecorded split (pure numpy).

A file of prices as traded drops to a quarter at a 4:1 split; run as it stands, a backtest
takes that for a crash. On import, a bar whose open and close are both the previous close
divided by a common ratio (``COMMON_RATIOS``: 2:1, 3:1, 3:2, 4:1, 5:1, 10:1 and the reverse
splits 1:2 … 1:10), within ``OPEN_TOLERANCE`` and ``CLOSE_TOLERANCE``, with no split event on
its date, is a ``SplitGap``. The import warns naming its date and likely ratio, and refuses
the file with ``--strict``.

The open must match closely (an ex-date opens at the split price) and the close a little
less so (the day trades on); market moves of 30 % or more in one bar that also hold to the
close are rare enough in daily equity data that a flag costs the user one look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np

from data.events import SPLIT, Events
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
        return f"{self.ratio.numerator}:{self.ratio.denominator}"

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


__all__ = ["CLOSE_TOLERANCE", "COMMON_RATIOS", "OPEN_TOLERANCE", "SplitGap", "find_split_gaps"]
