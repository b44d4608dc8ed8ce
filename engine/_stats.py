"""Core metrics, computed row by row for N equity paths (the only core KPI code).

Conventions (docs/execution.md, "Metric definitions"):
* total_return_pct: (final equity / initial capital − 1) × 100.
* sharpe_ratio: mean / sample std (ddof 1) of the bar-to-bar returns of equity, × √B,
  B = bars per year (``TradingParams.bars_per_year``: 252 for daily bars), risk-free
  rate 0. Undefined (NaN) when the std is 0 or there are fewer than 3 bars.
  backtesting.py annualises geometric returns instead, so its Sharpe differs by design.
* max_drawdown_pct: the largest fall from a running peak, as a positive percent.
* num_trades: round trips opened, including one still open at the end.
"""

from __future__ import annotations

import numpy as np

TRADING_DAYS = 252
"""Bars per year for annualising daily statistics (the default ``bars_per_year``)."""


def bar_returns(equity: np.ndarray) -> np.ndarray:
    """Bar-to-bar simple returns of N equity paths (N × (T−1)); 0 where equity was 0."""
    prev = equity[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = equity[:, 1:] / prev  # the same quotients; one pass fewer than out/where
    ratio[~(prev > 0)] = 1.0
    ratio -= 1.0
    return ratio


def core_metrics(
    equity: np.ndarray,
    initial_capital: float,
    num_trades: np.ndarray,
    bars_per_year: float = TRADING_DAYS,
) -> dict[str, np.ndarray]:
    """The core metrics of N equity paths (N × T), one array of length N each; the Sharpe
    ratio is annualised with ``bars_per_year``."""
    n_runs, n_bars = equity.shape
    total_return = (equity[:, -1] / initial_capital - 1.0) * 100.0

    sharpe = np.full(n_runs, np.nan)
    if n_bars >= 3:
        returns = bar_returns(equity)
        mean = returns.mean(axis=1)
        std = returns.std(axis=1, ddof=1)
        ok = std > 0
        sharpe[ok] = mean[ok] / std[ok] * np.sqrt(bars_per_year)

    peak = np.maximum.accumulate(equity, axis=1)
    fall = peak - equity
    fall /= peak  # in place: a 5 M-bar path allocates one temporary, not two
    max_drawdown = fall.max(axis=1) * 100.0
    return {
        "total_return_pct": total_return,
        "sharpe_ratio": sharpe,
        "max_drawdown_pct": max_drawdown,
        "num_trades": num_trades.astype(np.int64),
    }
