"""Another ticker's bars on a run's calendar (``Strategy.ref``): for each of the run's bars,
the other ticker's last bar at or before it (an as-of join: its close is the last one
known when the run's bar closes), NaN before the other's first bar. The result is a frame
as long as the run's, served bar by bar like ``self.data``, so on bar ``t`` a strategy
reads only the other's bars dated at or before the run's bar ``t``. numpy, pandas and the
standard library only: this runs inside the strategy sandbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

Refs = Mapping[str, pd.DataFrame] | Callable[[str], pd.DataFrame]
"""The other tickers a run may ref: their frames by ticker, or a function loading one."""


def ticker_of(name: object) -> str:
    """A ticker as refs are keyed: stripped, upper case.

    :raise TypeError: not a string."""
    if not isinstance(name, str):
        raise TypeError(f"ref: a ticker is a string, not {type(name).__name__}")
    return name.strip().upper()


def aligned(index: pd.Index, other: pd.DataFrame) -> pd.DataFrame:
    """``other``'s columns on ``index``: row ``i`` is ``other``'s last row dated at or before
    ``index[i]`` (float columns NaN, others their dtype's zero cast to float, before its
    first), with ``other``'s column order and ``index`` as its index.

    :raise ValueError: ``other``'s index is not increasing.
    """
    if not other.index.is_monotonic_increasing:
        raise ValueError("ref: the other ticker's bars must be in increasing time order")
    rows = other.index.searchsorted(index, side="right") - 1
    before = rows < 0
    taken = np.maximum(rows, 0)
    columns = {}
    for name, column in other.items():
        values = column.to_numpy()[taken] if len(other) else np.full(len(index), np.nan)
        if before.any():
            values = values.astype(np.float64)
            values[before] = np.nan
        columns[name] = values
    return pd.DataFrame(columns, index=index)


def loaded(refs: Refs | None, ticker: str) -> pd.DataFrame:
    """The frame of ``ticker`` among ``refs``.

    :raise KeyError: ``refs`` holds no such ticker (the run did not name it), with the ones
        it holds when it is a mapping.
    """
    if refs is None:
        raise KeyError(f"ref: {ticker!r}: this run names no ticker to ref (request field refs)")
    if callable(refs):
        return refs(ticker)
    try:
        return refs[ticker]
    except KeyError:
        known = ", ".join(sorted(refs)) or "none"
        raise KeyError(
            f"ref: {ticker!r} is not among the tickers this run may ref ({known}); "
            "name it in the request's refs"
        ) from None
