"""Synthetic universes for the portfolio tests and benchmark: deterministic from a seed.

Prices are geometric random walks with an open near the previous close; tickers may list
late (NaN before their first bar) and miss random days (NaN), on a weekday calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Universe:
    """A universe on its union calendar: ``days`` (T,), ``open_``/``close`` (T, N) with NaN
    where a ticker has no bar."""

    days: np.ndarray
    open_: np.ndarray
    close: np.ndarray

    @property
    def has_bar(self) -> np.ndarray:
        """(T, N) bool: the ticker has a bar that day (it is listed and not missing)."""
        return np.isfinite(self.close)


def weekdays(start: str, n_bars: int) -> np.ndarray:
    """The first ``n_bars`` Monday-to-Friday days from ``start``."""
    days = np.datetime64(start, "D") + np.arange(n_bars * 7 // 5 + 7)
    return days[(days.astype(np.int64) + 3) % 7 < 5][:n_bars]


def random_universe(
    rng: np.random.Generator,
    n_bars: int,
    n_tickers: int,
    *,
    late_share: float = 0.0,
    missing_rate: float = 0.0,
) -> Universe:
    """``n_tickers`` random walks over ``n_bars`` weekdays from 2015-01-02, prices from
    about 2 to 1,000; ``late_share`` of them list at a random bar in the first half and
    each bar is missing with probability ``missing_rate``."""
    drift = rng.normal(0.0003, 0.0003, n_tickers)
    vol = rng.uniform(0.008, 0.03, n_tickers)
    level = np.exp(rng.uniform(np.log(2.0), np.log(1000.0), n_tickers))
    returns = rng.normal(drift, vol, (n_bars, n_tickers))
    close = level * np.exp(np.cumsum(returns, axis=0))
    gap = rng.normal(0.0, 0.3, (n_bars, n_tickers)) * vol
    open_ = np.vstack([close[:1], close[:-1]]) * np.exp(gap)
    first = np.where(rng.random(n_tickers) < late_share, rng.integers(1, n_bars // 2, n_tickers), 0)
    absent = np.arange(n_bars)[:, None] < first
    absent |= rng.random((n_bars, n_tickers)) < missing_rate
    open_[absent] = np.nan
    close[absent] = np.nan
    return Universe(days=weekdays("2015-01-02", n_bars), open_=open_, close=close)
