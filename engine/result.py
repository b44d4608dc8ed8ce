"""What the engine returns: per-bar paths, trades and core metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Trade:
    """One round trip. Bars are indices into the run's ``Bars``.

    ``direction`` is +1 for a long trade (opened by a buy) and -1 for a short one. An open
    trade (``is_open``) is marked at the last close: ``exit_bar`` is the last bar,
    ``exit_price`` the last close and ``exit_fee`` 0 (nothing was paid yet).
    ``pnl`` is net of both fees. ``exit_reason`` (one of ``EXIT_REASONS``) says why it
    closed: ``signal``, a stop (``stop_loss``, ``take_profit``, ``trailing_stop``), ``end``
    (still open at the last bar) or ``liquidation`` (equity reached zero).
    """

    entry_bar: int
    exit_bar: int
    direction: int
    size: int
    entry_price: float
    exit_price: float
    entry_fee: float
    exit_fee: float
    pnl: float
    is_open: bool
    exit_reason: str = "signal"


EXIT_REASONS = ("signal", "stop_loss", "take_profit", "trailing_stop", "end", "liquidation")
"""Why a trade closed, in the order of their codes in ``engine._simulate`` (0 = signal)."""


CORE_METRICS = ("total_return_pct", "sharpe_ratio", "max_drawdown_pct", "num_trades")
"""Names of the core metrics, in the order they are reported."""


@dataclass(frozen=True, eq=False)
class EngineResult:
    """One backtest: per-bar ``cash``, ``position`` (signed shares) and ``equity``
    (= cash + position × close, marked on every close), the trades in entry order, the
    core metrics (``CORE_METRICS``; ``None`` where undefined, e.g. Sharpe of a flat line),
    and ``bust_bar``: the bar where equity reached zero and trading stopped, or ``None``."""

    cash: np.ndarray
    position: np.ndarray
    equity: np.ndarray
    trades: tuple[Trade, ...]
    metrics: dict[str, float | int | None]
    bust_bar: int | None


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Core metrics of N backtests over the same bars: one array of length N per metric
    (NaN where undefined); ``equity`` is kept only when asked for (N × T).

    From the one-pass evaluation (``run_batch(one_pass=True)``) also ``curve``: per run
    the reductions of its equity curve that further metrics derive from (``CURVE_STATS``,
    one array of length N each), and ``block_stats``: N × 2S sums then sums of squares of
    the bar returns over S blocks (when blocks were asked for)."""

    metrics: dict[str, np.ndarray]
    equity: np.ndarray | None = None
    curve: dict[str, np.ndarray] | None = None
    block_stats: np.ndarray | None = None


CURVE_STATS = ("start", "final", "mean", "std", "downside", "drawdown_days")
"""``BatchResult.curve``'s keys: the first and final equity; the mean, sample std (ddof 1;
NaN under 2 returns) and downside deviation sqrt(mean(min(r, 0)²)) of the bar returns r
(NaN without returns); the longest span under water in days (as
``adapters.metrics.equity_metrics`` defines it)."""
