"""The other tickers' bars a run's ``ref`` calls read, attached to the run's own bars.

The edge that loads a run's data (``kinds.runs.references``) loads every ticker its texts
``ref`` and attaches those bars here to the run's bars; the evaluator finds them from any
slice of those bars (a run's window, a sweep's signal history, a walk-forward fold), since
every slice is a numpy view of one timestamp array. An attachment lives as long as that
array; attaching again adds tickers (and replaces a ticker's bars by newer ones).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

_ATTACHED: dict[int, tuple[weakref.ref, dict[str, Bars]]] = {}
"""id of a timestamp array that owns its memory -> (a weak reference to it, its tickers)."""


def _owner(array: np.ndarray) -> np.ndarray:
    """The array owning the memory ``array`` views (itself when it owns it)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _forget(key: int, attached: dict = _ATTACHED) -> None:
    """Drop ``key``'s entry once its array is gone (the table bound at definition: at
    interpreter exit the module's globals may already be None)."""
    attached.pop(key, None)


def attach(bars: Bars, others: Mapping[str, Bars]) -> None:
    """Make ``others`` ({ticker: its bars}) what ``ref`` reads on ``bars`` and on every
    slice of them."""
    owner = _owner(bars.timestamps)
    key = id(owner)
    known = _ATTACHED.get(key)
    if known is not None and known[0]() is owner:
        known[1].update(others)
        return
    forget = _forget  # bound now: at interpreter exit the module's globals may be None
    _ATTACHED[key] = (weakref.ref(owner, lambda _, key=key: forget(key)), dict(others))


def others_of(bars: Bars) -> Mapping[str, Bars]:
    """The tickers attached to ``bars`` (or to the bars they are a slice of); empty when
    none are."""
    owner = _owner(bars.timestamps)
    known = _ATTACHED.get(id(owner))
    if known is None or known[0]() is not owner:
        return {}
    return known[1]
