"""The universe's price matrices: their checks and the last known close."""

from __future__ import annotations

import numpy as np


def check_prices(open_: np.ndarray, close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``open_`` and ``close`` as (T, N) float64 arrays, checked: a ticker has a bar where
    its close is finite, and there its open and close are finite and > 0."""
    open_ = np.asarray(open_, dtype=np.float64)
    close = np.asarray(close, dtype=np.float64)
    if close.ndim != 2:
        raise ValueError("close: expected a (T, N) array")
    if open_.shape != close.shape:
        raise ValueError(f"open_: expected shape {close.shape}")
    with np.errstate(invalid="ignore"):
        if np.any(np.isfinite(close) & ~(np.isfinite(open_) & (open_ > 0))):
            raise ValueError("open_: must be finite and > 0 on every bar whose close is")
        if np.any(close <= 0):
            raise ValueError("close: prices must be > 0")
    return open_, close


def last_close(close: np.ndarray) -> np.ndarray:
    """(T, N): each ticker's most recent close up to each bar (NaN before its first bar).
    Only the tickers missing a bar after their first are filled; the others' closes are
    their last closes already."""
    if not close.size:
        return close.copy()
    finite = np.isfinite(close)
    first = np.where(finite.any(axis=0), finite.argmax(axis=0), close.shape[0])
    gappy = np.flatnonzero(close.shape[0] - finite.sum(axis=0) > first)
    mark = close.copy()
    if gappy.size:
        mark[:, gappy] = _filled(close[:, gappy])
    return mark


def _filled(close: np.ndarray) -> np.ndarray:
    """``last_close`` of tickers with gaps: each bar's latest finite close carried forward."""
    rows = np.arange(close.shape[0])[:, None]
    latest = np.maximum.accumulate(np.where(np.isfinite(close), rows, -1), axis=0)
    filled = close[np.maximum(latest, 0), np.arange(close.shape[1])[None, :]]
    return np.where(latest >= 0, filled, np.nan)
