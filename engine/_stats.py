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

import threading

import numpy as np

from engine import compiled

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
    n_bars = equity.shape[1]
    mean = std = None
    if _compiled_pays(equity):
        kernel = compiled.kernels()
        curves = np.ascontiguousarray(equity, dtype=np.float64)
        reduced = kernel.reduce_curves_into(curves, _returns_buffer(n_bars - 1))
        if reduced[:, 3].all():  # every curve finite: numpy's figures (else numpy's own)
            mean, std, drawdown = reduced[:, 0], reduced[:, 1], reduced[:, 2]
            return finish_core(
                equity[:, -1], mean, std, drawdown, num_trades, initial_capital, bars_per_year
            )
    if n_bars >= 3:
        returns = bar_returns(equity)
        mean = returns.mean(axis=1)
        std = returns.std(axis=1, ddof=1)
    peak = np.maximum.accumulate(equity, axis=1)
    fall = peak - equity
    fall /= peak  # in place: a long path allocates one temporary, not two
    drawdown = fall.max(axis=1)
    return finish_core(
        equity[:, -1], mean, std, drawdown, num_trades, initial_capital, bars_per_year
    )


def _compiled_pays(equity: np.ndarray) -> bool:
    """Whether ``core_metrics`` reduces ``equity`` compiled (the same numbers): enough bars
    to pay for the kernels, or the kernels loaded already or paying for their load in a
    walked run's process (``compiled.walked_kernels``),
    and curves the kernel takes (T >= 3, starting above 0, as every engine curve does;
    the kernel tells whether they are finite, as it must be for numpy's figures)."""
    return (
        equity.shape[1] >= 3
        and (
            compiled.pays(equity.size, compiled.MIN_BAR_UPDATES)
            or compiled.walked_kernels(equity.size)
        )
        and bool((equity[:, 0] > 0).all())
    )


_buffers = threading.local()
"""Each thread's buffer of bar returns for ``core_metrics``' compiled reduction."""


def _returns_buffer(n: int) -> np.ndarray:
    """A buffer of at least ``n`` floats this thread keeps for the bar returns of the
    curves it reduces (a long run's curve then touches no new memory: at 100,000 bars
    zeroing a fresh one cost about what the reduction does)."""
    kept = getattr(_buffers, "returns", None)
    if kept is None or kept.size < n:
        kept = _buffers.returns = np.empty(max(n, 1))
    return kept[:n]


def finish_core(
    final: np.ndarray,
    mean: np.ndarray | None,
    std: np.ndarray | None,
    drawdown: np.ndarray,
    num_trades: np.ndarray,
    initial_capital: float,
    bars_per_year: float = TRADING_DAYS,
) -> dict[str, np.ndarray]:
    """The core metrics from each path's reductions: final equity, mean and sample std of
    the bar returns (None: fewer than 3 bars, no Sharpe), the largest fraction fallen from
    a running peak and the trades. ``core_metrics`` reduces with numpy, the compiled pass
    (``engine._kernel``) in one loop in numpy's order: both finish here."""
    total_return = (final / initial_capital - 1.0) * 100.0
    sharpe = np.full(final.shape[0], np.nan)
    if mean is not None and std is not None:
        ok = std > 0
        sharpe[ok] = mean[ok] / std[ok] * np.sqrt(bars_per_year)
    return {
        "total_return_pct": total_return,
        "sharpe_ratio": sharpe,
        "max_drawdown_pct": drawdown * 100.0,
        "num_trades": num_trades.astype(np.int64),
    }
