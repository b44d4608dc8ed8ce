"""A strategy's equity against a benchmark's: alpha, beta, correlation, tracking error and
information ratio, on bar returns over the bars both curves have.

The curves are aligned by timestamp (their intersection), then each one's bar returns are
taken over those common bars (r: the strategy's, b: the benchmark's; the engine's
``bar_returns``). With n ≥ 2 pairs, sample statistics (ddof 1), risk-free rate 0:

* ``beta`` = cov(r, b) / var(b)
* ``alpha_pct`` = (mean(r) − beta × mean(b)) × bars_per_year × 100 (annualised Jensen alpha)
* ``correlation`` = cov(r, b) / (std(r) × std(b))
* ``tracking_error_pct`` = std(r − b) × √bars_per_year × 100
* ``information_ratio`` = mean(r − b) / std(r − b) × √bars_per_year

Each is ``None`` where undefined (fewer than two pairs, a zero variance in a denominator).
``bars_per_year`` defaults to the engine's ``TRADING_DAYS`` (252).
"""

from __future__ import annotations

import numpy as np

from adapters._plain import number
from engine import TRADING_DAYS, bar_returns

STAT_KEYS = ("alpha_pct", "beta", "correlation", "tracking_error_pct", "information_ratio")
"""Keys of ``relative_stats``' statistics, in order."""


def common_bars(
    timestamps: np.ndarray, benchmark_timestamps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into each sorted, unique timestamp array) of the timestamps both hold."""
    _, ours, theirs = np.intersect1d(timestamps, benchmark_timestamps, return_indices=True)
    return ours, theirs


def relative_stats(
    equity: np.ndarray, benchmark_equity: np.ndarray, bars_per_year: float = TRADING_DAYS
) -> dict[str, float | None]:
    """``STAT_KEYS`` of two equity curves over the same bars (already aligned), plus
    ``return_pairs``: the number of return pairs used."""
    pair = np.vstack([np.asarray(equity, np.float64), np.asarray(benchmark_equity, np.float64)])
    stats: dict[str, float | None] = dict.fromkeys(STAT_KEYS)
    returns = bar_returns(pair) if pair.shape[1] >= 2 else np.empty((2, 0))
    stats["return_pairs"] = int(returns.shape[1])
    if returns.shape[1] < 2:
        return stats
    r, b = returns
    cov = np.cov(r, b, ddof=1)
    var_r, var_b, cov_rb = cov[0, 0], cov[1, 1], cov[0, 1]
    active = r - b
    active_std = active.std(ddof=1)
    scale = np.sqrt(bars_per_year)
    if var_b > 0:
        beta = cov_rb / var_b
        stats["beta"] = number(beta)
        stats["alpha_pct"] = number((r.mean() - beta * b.mean()) * bars_per_year * 100.0)
    if var_r > 0 and var_b > 0:
        stats["correlation"] = number(cov_rb / np.sqrt(var_r * var_b))
    stats["tracking_error_pct"] = number(active_std * scale * 100.0)
    if active_std > 0:
        stats["information_ratio"] = number(active.mean() / active_std * scale)
    return stats
