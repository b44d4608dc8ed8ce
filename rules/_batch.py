"""Helpers for computing one rule over N parameter sets: an indicator cache bound to one set of
bars, and gathering cached indicator arrays into (N, T) stacks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

_BARS_KEY = "bars"
"""Cache entry holding the Bars the cached arrays were computed from (indicator keys are
tuples, so a string key cannot collide with them)."""


class Crossing(NamedTuple):
    """A rule's signals for N parameter sets as crossings of two lines (``crossing_lines``):
    set i enters where ``lines[line[i]]`` crosses above ``lines[other[i]]``
    (``rules.signals.cross_above``) and exits where it crosses below; ``lines`` is K × T,
    one row per distinct line."""

    lines: np.ndarray
    line: np.ndarray
    other: np.ndarray


def bind_cache(cache: dict | None, bars: Bars) -> dict:
    """The cache to use for ``bars``: a fresh one when None; emptied first when it was filled
    from other bars (arrays of different data must never be mixed)."""
    if cache is None:
        return {_BARS_KEY: bars}
    if cache.get(_BARS_KEY) is not bars:
        cache.clear()
        cache[_BARS_KEY] = bars
    return cache


def rows(
    cache: dict,
    keys: Sequence[Hashable],
    compute: Callable[[list], Sequence[np.ndarray] | np.ndarray],
) -> np.ndarray:
    """An (N, T) array whose row i is the array cached under ``keys[i]``.

    ``compute(missing_keys)`` returns one array per key not yet cached, so each distinct
    indicator is computed once, possibly in a single vectorised call.
    """
    distinct = list(dict.fromkeys(keys))
    missing = [key for key in distinct if key not in cache]
    if missing:
        for key, array in zip(missing, compute(missing), strict=True):
            cache[key] = array
    table = np.stack([cache[key] for key in distinct])
    if len(distinct) == len(keys):  # each key once, in order: the table is the rows
        return table
    position = {key: i for i, key in enumerate(distinct)}
    return table[[position[key] for key in keys]]


def indicator_rows(
    cache: dict, bars: Bars, function: Callable, inputs: tuple[str, ...], args: Sequence[tuple]
) -> np.ndarray:
    """(N, T) rows of ``function(*bar columns named in inputs, *args[i])``, cached under
    (function name, inputs, *args[i]) — the very function a single run calls."""
    name = function.__name__

    def compute(missing: list) -> list[np.ndarray]:
        columns = [getattr(bars, field) for field in inputs]
        return [function(*columns, *key[2:]) for key in missing]

    return rows(cache, [(name, inputs, *a) for a in args], compute)


def by_column(params_list: object) -> bool:
    """Whether N parameter sets are held by column (a sweep chunk's: they offer
    ``coded(name)``, each parameter's distinct values and every set's index into them)
    rather than as a dict each."""
    return callable(getattr(params_list, "coded", None))


def coded(params_list: Sequence[dict], name: str) -> tuple[list, np.ndarray] | None:
    """One parameter's distinct values among the sets and each set's index into them, when
    the sets are held by column (``by_column``); None otherwise."""
    if not by_column(params_list):
        return None
    levels, codes = params_list.coded(name)  # type: ignore[attr-defined]
    used, inverse = np.unique(codes, return_inverse=True)  # only the values these sets hold
    return [levels[i] for i in used.tolist()], inverse.reshape(-1)


def column(params_list: Sequence[dict], name: str) -> np.ndarray:
    """The values of one parameter across N parameter sets, as an (N, 1) float column."""
    found = coded(params_list, name)
    if found is not None:
        levels, codes = found
        return np.asarray(levels, dtype=np.float64)[codes][:, None]
    return np.array([p[name] for p in params_list], dtype=np.float64)[:, None]
