"""Shared helpers for the adapters tests (tests/test_adapters_*.py); this module holds no tests.

Tiny hand-made bars, engine results built by calling ``engine.run``, and the GOOG daily bars
(backtesting.py's bundled CSV) for the chart tests.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np

from engine import Bars, EngineResult

DAY = np.timedelta64(1, "D")
START = np.datetime64("2024-01-01T21:00:00", "s")
"""Daily bars are stamped 21:00 UTC."""


def make_bars(
    close: list[float],
    open_: list[float] | None = None,
    *,
    start: np.datetime64 = START,
    step: np.timedelta64 = DAY,
) -> Bars:
    """Bars with the given closes (opens default to the closes), high/low 1% around them."""
    close_arr = np.asarray(close, dtype=np.float64)
    open_arr = close_arr if open_ is None else np.asarray(open_, dtype=np.float64)
    n = close_arr.size
    return Bars(
        start + np.arange(n) * step,
        open_arr,
        np.maximum(open_arr, close_arr) * 1.01,
        np.minimum(open_arr, close_arr) * 0.99,
        close_arr,
        np.full(n, 1000.0),
    )


def signals(n: int, at: list[int]) -> np.ndarray:
    """A boolean signal of length ``n``, true at the bars in ``at``."""
    out = np.zeros(n, dtype=bool)
    out[at] = True
    return out


def hand_result(
    equity: list[float],
    position: list[float] | None = None,
    max_drawdown_pct: float = 0.0,
) -> EngineResult:
    """An ``EngineResult`` with a hand-written equity path (cash = equity, no trades)."""
    eq = np.asarray(equity, dtype=np.float64)
    pos = np.zeros_like(eq) if position is None else np.asarray(position, dtype=np.float64)
    return EngineResult(
        cash=eq.copy(),
        position=pos,
        equity=eq,
        trades=(),
        metrics={
            "total_return_pct": (eq[-1] / eq[0] - 1) * 100,
            "sharpe_ratio": None,
            "max_drawdown_pct": max_drawdown_pct,
            "num_trades": 0,
        },
        bust_bar=None,
    )


def load_goog(path: Path) -> Bars:
    """GOOG daily OHLCV (2,148 bars) stamped 21:00 UTC."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    days = np.array([row[0] for row in rows], dtype="datetime64[D]")
    columns = np.array([[float(v) for v in row[1:6]] for row in rows]).T
    return Bars(days.astype("datetime64[s]") + np.timedelta64(21, "h"), *columns)


def sma(values: np.ndarray, window: int) -> np.ndarray:
    """Simple moving average, NaN for the first ``window - 1`` bars."""
    out = np.full(values.size, np.nan)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    out[window - 1 :] = (sums[window:] - sums[:-window]) / window
    return out


def crossover_signals(close: np.ndarray, fast: int = 10, slow: int = 20) -> tuple:
    """Entries where the fast SMA crosses above the slow one, exits where it crosses below,
    and the two SMAs (for chart overlays)."""
    f, s = sma(close, fast), sma(close, slow)
    above = f > s
    before = np.concatenate([[False], above[:-1]])
    valid = np.concatenate([[False], np.isfinite(s[:-1])]) & np.isfinite(s)
    return above & ~before & valid, ~above & before & valid, f, s


def decimals(cell: str) -> int:
    """Decimal places of a number written in a CSV cell ("9.9844" → 4, "12" → 0, "" → 0)."""
    if not cell:
        return 0
    exponent = Decimal(cell).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
