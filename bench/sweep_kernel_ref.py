"""A single-pass reference kernel for ``bench.sweep_bench`` part (e): what a hand-written
compiled loop costs for an SMA_CROSS sweep with every stored metric, to print beside ours.

One loop per combination over the bars: the crossing of two precomputed SMA lines, the fill
at the next open (all-in, fee on each side), equity, and running sums for every stored
metric (return, Sharpe, max drawdown, trades, volatility, Sortino, drawdown duration) in
constant memory; combinations spread over the cores. Its sums are plain running sums, not
numpy's pairwise order, so its figures agree with ours to rounding only (the bench prints
the largest difference of the Sharpe ratios): it is a speed reference, not a second engine.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def sweep(
    lines: np.ndarray,
    fast: np.ndarray,
    slow: np.ndarray,
    offset: int,
    open_: np.ndarray,
    close: np.ndarray,
    days: np.ndarray,
    capital: float,
    fee: float,
) -> np.ndarray:
    """Per combination: total return %, Sharpe (per bar), max drawdown %, trades,
    volatility (per bar), Sortino (per bar), longest drawdown in days."""
    n_runs, n_bars = fast.size, close.size
    out = np.empty((n_runs, 7))
    for i in prange(n_runs):
        a, b = lines[fast[i]], lines[slow[i]]
        cash, shares, pending, trades = capital, 0.0, 0, 0
        before = peak = capital
        worst = total = squares = downside = longest = 0.0
        start = -1
        was_at_most = a[offset - 1] <= b[offset - 1] if offset > 0 else False
        was_at_least = a[offset - 1] >= b[offset - 1] if offset > 0 else False
        for t in range(n_bars):
            price = open_[t]
            if pending == 1 and shares == 0.0:
                qty = np.floor(cash / (price * (1.0 + fee)))
                if qty > 0.0:
                    cash -= qty * price * (1.0 + fee)
                    shares = qty
                    trades += 1
            elif pending == -1 and shares != 0.0:
                cash += shares * price * (1.0 - fee)
                shares = 0.0
            pending = 0
            value = cash + shares * close[t]
            x, y = a[offset + t], b[offset + t]
            if (x > y) & was_at_most:
                pending = 1
            elif (x < y) & was_at_least:
                pending = -1
            was_at_most, was_at_least = x <= y, x >= y
            if t > 0:
                change = value / before - 1.0
                total += change
                squares += change * change
                if change < 0.0:
                    downside += change * change
            before = value
            if value > peak:
                peak = value
            worst = max(worst, (peak - value) / peak)
            if value < peak:
                if start < 0:
                    start = t
            elif start >= 0:
                longest = max(longest, days[t] - days[start - 1])
                start = -1
        n = n_bars - 1
        mean = total / n
        variance = (squares - n * mean * mean) / (n - 1)
        std = np.sqrt(variance) if variance > 0.0 else 0.0
        out[i, 0] = (before / capital - 1.0) * 100.0
        out[i, 1] = mean / std if std > 0.0 else np.nan
        out[i, 2] = worst * 100.0
        out[i, 3] = trades
        out[i, 4] = std
        out[i, 5] = mean / np.sqrt(downside / n) if downside > 0.0 else np.nan
        out[i, 6] = longest
    return out
