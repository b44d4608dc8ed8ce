"""Rolling risk of an equity curve: Sharpe ratio and volatility over a moving window of bar
returns, annualised like the engine's metrics.

The value on bar i uses the ``window`` bar returns ending there (r_k = equity[k] /
equity[k−1] − 1, the engine's ``bar_returns``, for k = i − window + 1 .. i), so the first
``window`` bars have none (NaN). Volatility = sample std (ddof 1) × √bars_per_year × 100;
Sharpe = mean / sample std × √bars_per_year, risk-free rate 0, NaN where the std is 0 — the
engine's ``sharpe_ratio`` and the adapters' ``volatility_pct`` over each window.
``bars_per_year`` defaults to the engine's ``TRADING_DAYS`` (252, daily bars).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from engine import TRADING_DAYS, bar_returns

MIN_WINDOW = 2
"""The shortest window: a sample std needs two returns."""

_BLOCK_VALUES = 1 << 20
"""Most window values reduced at once: a long window over many bars (20,000 bars, a window
of 10,000) would otherwise make std build a 10⁸-value temporary."""


def rolling_risk(
    equity: np.ndarray, window: int, bars_per_year: float = TRADING_DAYS
) -> dict[str, np.ndarray]:
    """``{"sharpe": ..., "volatility_pct": ...}``, one value per bar of ``equity`` (NaN
    where undefined; all NaN when the curve has fewer than ``window`` returns).

    :raise ValueError: ``window`` is below ``MIN_WINDOW``.
    """
    if window < MIN_WINDOW:
        raise ValueError(f"window must be at least {MIN_WINDOW}, got {window}")
    equity = np.asarray(equity, dtype=np.float64)
    sharpe = np.full(equity.size, np.nan)
    volatility = np.full(equity.size, np.nan)
    returns = bar_returns(equity[None, :])[0]
    if returns.size >= window:
        windows = sliding_window_view(returns, window)
        mean = np.empty(windows.shape[0])
        std = np.empty(windows.shape[0])
        step = max(1, _BLOCK_VALUES // window)
        for first in range(0, windows.shape[0], step):
            block = windows[first : first + step]
            mean[first : first + step] = block.mean(axis=1)
            std[first : first + step] = block.std(axis=1, ddof=1)
        scale = np.sqrt(bars_per_year)
        volatility[window:] = std * scale * 100.0
        ok = std > 0
        sharpe[window:][ok] = mean[ok] / std[ok] * scale
    return {"sharpe": sharpe, "volatility_pct": volatility}
