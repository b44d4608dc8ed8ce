"""The bars a ``ref`` or ``tf`` computes its series on, and which of them each calling bar
sees: what the evaluator computes (``rules.expr.evaluate``) and what the cost estimate
counts (``rules.expr.cost``), from these functions, so the two cannot drift apart.

``tf(frame, x)``: the calling bars resampled into their calendar periods
(``rules.expr.frames.resample``); each bar sees the last period that has ended.

``ref(ticker, x)``: the ticker's bars (attached by the edge, ``rules.expr.market``), each
calling bar seeing the last of them at or before it; x is computed only on the stretch the
calling bars can see: up to the bar the last calling bar sees and, when x reads a bounded
stretch of bars with float operations that do not depend on where the history starts (its
reach r, ``rules.expr.cost.series_reach``), from r bars before the one the first calling
bar sees (otherwise from the file's first bar). On every bar a calling bar sees, x on that
stretch is x on the whole file bit for bit (no later bar is ever read, and an earlier one
only within the reach), so a long ticker behind a short window is read only where the
window looks. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from rules.expr import frames

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def seen(
    function: str, label: str, bars: Bars, others: Mapping[str, Bars]
) -> tuple[Bars, np.ndarray]:
    """(the other bars whole, the index among them of the one each of ``bars`` sees, −1
    where none is known yet) of ``ref(label, …)`` or ``tf(label, …)`` called on ``bars``;
    ``others`` ({ticker: bars}): what ``ref`` reads.

    :raise LookupError: ``ref`` of a ticker ``others`` does not hold (the edge loads every
        ticker a text refs, or refuses it).
    """
    if function == "tf":
        higher, period = frames.resample(bars, label)
        return higher, period - 1
    assert function == "ref"
    whole = others.get(label)
    if whole is None:
        raise LookupError(f"no bars of {label} were loaded with this run's")
    return whole, frames.as_of(bars.timestamps, whole.timestamps)


def cut(
    function: str, whole: Bars, at: np.ndarray, reach: int | None
) -> tuple[Bars, np.ndarray, int, int]:
    """(the bars x is computed on, ``at`` shifted onto them, their first and stop index in
    ``whole``) for a series of reach ``reach`` (None: it depends on every earlier bar).
    ``tf`` keeps every period; ``ref`` keeps ``[first, stop)`` as the module says (an
    empty stretch when no calling bar sees any bar)."""
    if function == "tf":
        return whole, at, 0, len(whole)
    stop = int(at[-1]) + 1 if len(at) else 0  # ``at`` never decreases: both are sorted
    if stop <= 0:
        return whole.slice(0, 0), at, 0, 0
    first = 0
    if reach is not None:
        first = max(int(at[int(np.argmax(at >= 0))]) - reach, 0)
    if first == 0 and stop == len(whole):
        return whole, at, 0, stop
    shifted = np.where(at >= 0, at - first, -1).astype(np.intp)
    return whole.slice(first, stop), shifted, first, stop


__all__ = ["cut", "seen"]
