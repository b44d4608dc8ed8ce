"""A portfolio volatility target: each decision's weights scaled so the book's trailing
realised volatility meets a target, within a maximum leverage (pure numpy)."""

from __future__ import annotations

import numpy as np

from engine.portfolio.prices import last_close


def target_volatility(
    weights: np.ndarray,
    close: np.ndarray,
    *,
    target: float,
    max_leverage: float = 1.0,
    lookback: int = 63,
    bars_per_year: float = 252.0,
) -> np.ndarray:
    """(T, N) ``weights`` with each row that holds something scaled by k = min(``target`` /
    σ, ``max_leverage``), σ the annualised standard deviation (n - 1, × sqrt(bars_per_year))
    of the row's weights applied to the last ``lookback`` close-to-close returns up to that
    close (a missing bar or a ticker not yet listed: 0 return). With fewer than 2 returns or
    no variance, k = min(1, ``max_leverage``)."""
    weights = np.asarray(weights, dtype=np.float64)
    close = np.asarray(close, dtype=np.float64)
    if close.shape != weights.shape:
        raise ValueError(f"close: expected shape {weights.shape}")
    if not (np.isfinite(target) and target > 0):
        raise ValueError("target: an annual volatility > 0")
    if not (np.isfinite(max_leverage) and max_leverage > 0):
        raise ValueError("max_leverage: must be > 0")
    if int(lookback) != lookback or lookback < 2:
        raise ValueError("lookback: an integer >= 2")
    out = weights.copy()
    if not weights.size:
        return out
    mark = last_close(close)
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = np.nan_to_num(mark[1:] / mark[:-1] - 1.0, nan=0.0)
    for t in np.flatnonzero((weights != 0).any(axis=1)).tolist():
        window = returns[max(t - int(lookback), 0) : t]  # returns into bars t-lookback+1..t
        scale = min(1.0, max_leverage)
        if window.shape[0] >= 2:
            sigma = float(np.std(window @ weights[t], ddof=1)) * np.sqrt(bars_per_year)
            if sigma > 0:
                scale = min(target / sigma, max_leverage)
        out[t] = weights[t] * scale
    return out
