"""The statistics of a Python strategy's run on the order book (``engine.broker.book``),
with backtesting.py's names: figures, ``_equity_curve`` and ``_trades`` as pandas objects.

One function for both ways a strategy runs: notebook mode (``backtest_strategy.Backtest``)
and the sandboxed run (``kinds.strategies.sandboxed``), so the two give the same bytes. The
figures are the platform's (``engine.core_metrics``, ``adapters.metrics.enhanced_metrics``):
where backtesting.py defines a statistic differently (Sharpe, Sortino, Calmar, the average
trade, the profit factor, exposure), the platform's definition is the one given
(docs/execution.md, "Metric definitions")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adapters.benchmark import buy_and_hold
from adapters.metrics import enhanced_metrics
from engine import Bars, EngineResult, core_metrics
from engine.broker.book import Book

COLUMNS = ("Open", "High", "Low", "Close")
"""The price columns a book is built from, in ``Book``'s order."""


@dataclass(frozen=True)
class Market:
    """What every run's statistics over the same bars and capital share: the bars as the
    platform's ``Bars`` and their buy-and-hold (``market``: made once for a sweep chunk's
    runs)."""

    bars: Bars
    benchmark: dict


def market(df: pd.DataFrame, initial: float) -> Market:
    """The ``Market`` of the bars ``df`` (index and OHLCV columns) for ``initial`` capital."""
    bars = Bars(
        _timestamps(df.index), *(df[c].to_numpy(dtype=np.float64) for c in (*COLUMNS, "Volume"))
    )
    return Market(bars, buy_and_hold(bars, initial))


@dataclass(frozen=True)
class Figures:
    """A run's statistics before its pandas frames are made: the figures under
    backtesting.py's names (``stats``, in the order ``strategy_stats`` shows them), the
    equity on every bar and the closed trades' columns (``Book.trade_columns``). What a
    sweep's point keeps of its run (``kinds.sweeps.python_points``)."""

    stats: dict[str, Any]
    equity: np.ndarray
    trades: dict[str, Any]


def strategy_figures(
    df: pd.DataFrame, book: Book, strategy: object = None, shared: Market | None = None
) -> Figures:
    """The ``Figures`` of ``book``'s run over the bars ``df`` (its index and OHLCV columns),
    ``strategy_stats``' without its frames (``strategy`` is not read: the same arguments);
    ``shared``: the bars' ``market`` for the book's capital, when made once for many runs."""
    equity = book.final_equity()
    index = df.index
    trades = book.trade_columns()
    initial = book.costs.initial_capital
    core = core_metrics(equity[None, :], initial, np.array([len(book.closed)]))
    metrics = {name: values[0] for name, values in core.items()}
    shared = shared or market(df, initial)
    bars = shared.bars
    result = EngineResult(
        cash=equity - book.position * bars.close,
        position=book.position,
        equity=equity,
        trades=(),
        metrics=metrics,
        bust_bar=None,
    )
    records = [
        {"is_open": False, "pnl_abs": pnl, "pnl_pct": pct * 100.0}
        for pnl, pct in zip(trades["pnl"], trades["return_pct"], strict=True)
    ]
    more = enhanced_metrics(bars, result, records, shared.benchmark)
    stats: dict[str, Any] = {
        "Start": index[0],
        "End": index[-1],
        "Duration": index[-1] - index[0],
        "Exposure Time [%]": more["exposure_pct"],
        "Equity Final [$]": equity[-1],
        "Equity Peak [$]": equity.max(),
        "Commissions [$]": float(trades["commissions"].sum()),
        "Return [%]": metrics["total_return_pct"],
        "Buy & Hold Return [%]": more["benchmark_return_pct"],
        "CAGR [%]": more["cagr_pct"],
        "Volatility (Ann.) [%]": more["volatility_pct"],
        "Sharpe Ratio": metrics["sharpe_ratio"],
        "Sortino Ratio": more["sortino_ratio"],
        "Calmar Ratio": more["calmar_ratio"],
        "Max. Drawdown [%]": -metrics["max_drawdown_pct"],
        "Max. Drawdown Duration [days]": more["max_drawdown_duration_days"],
        "# Trades": len(book.closed),
        "Win Rate [%]": more["win_rate_pct"],
        "Best Trade [%]": more["best_trade_pct"],
        "Worst Trade [%]": more["worst_trade_pct"],
        "Avg. Trade [%]": more["avg_trade_return_pct"],
        "Profit Factor": more["profit_factor"],
    }
    return Figures(stats, equity, trades)


def strategy_stats(
    df: pd.DataFrame, book: Book, strategy: object, shared: Market | None = None
) -> pd.Series:
    """The statistics of ``book``'s run over the bars ``df`` (its index and OHLCV columns):
    its ``strategy_figures``, ``strategy`` shown as ``_strategy`` (the instance in a
    notebook), the frames ``_equity_curve`` and ``_trades``; ``shared``: the bars'
    ``market`` for the book's capital, when made once for many runs. A run whose trades met
    a corporate action also has ``_events_applied`` (the result's ``events_applied``)."""
    shared = shared or market(df, book.costs.initial_capital)
    figures = strategy_figures(df, book, strategy, shared)
    equity, trades, index = figures.equity, figures.trades, df.index
    stats = {**figures.stats, "_strategy": strategy}
    peak = np.maximum.accumulate(equity)
    stats["_equity_curve"] = pd.DataFrame(
        {"Equity": equity, "DrawdownPct": 1 - equity / peak}, index=index
    )
    entry_time = index[trades["entry_bar"]]
    exit_time = index[trades["exit_bar"]]
    stats["_trades"] = pd.DataFrame(
        {
            "Size": trades["size"],
            "EntryBar": trades["entry_bar"],
            "ExitBar": trades["exit_bar"],
            "EntryPrice": trades["entry_price"],
            "ExitPrice": trades["exit_price"],
            "SL": trades["sl"],
            "TP": trades["tp"],
            "PnL": trades["pnl"],
            "Commission": trades["commissions"],
            "ReturnPct": trades["return_pct"],
            "EntryTime": entry_time,
            "ExitTime": exit_time,
            "Duration": exit_time - entry_time,
            "Tag": trades["tag"],
        }
    )
    if len(book.applied):
        stats["_events_applied"] = _events_applied(shared.bars, book)
    return pd.Series(stats, dtype=object)


def _events_applied(bars: Bars, book: Book) -> list[dict]:
    """The corporate actions that met the book's trades, as a rule run's result lists them
    (``adapters.corporate.events_applied``: one record a trade an event met)."""
    from adapters.corporate import events_applied

    shown = EngineResult(
        cash=np.zeros(0),
        position=np.zeros(0),
        equity=np.zeros(0),
        trades=(),
        metrics={},
        bust_bar=None,
        applied=book.applied,
    )
    return events_applied(bars, shown) or []


def _timestamps(index: pd.Index) -> np.ndarray:
    """The bars' times as the platform's ``datetime64[s]`` (a plain range index: one day
    a bar from 1970-01-01)."""
    if isinstance(index, pd.DatetimeIndex):
        return index.tz_localize(None).to_numpy(dtype="datetime64[s]")
    return np.arange(len(index)).astype("datetime64[D]").astype("datetime64[s]")
