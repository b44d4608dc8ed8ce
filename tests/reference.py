"""Reference implementations written the plain textbook way, for tests to compare against."""

from __future__ import annotations

import numpy as np
import pandas as pd


def wilder_rsi(close: np.ndarray, n: int) -> np.ndarray:
    """RSI with Wilder smoothing seeded by the mean of the first n gains/losses (a loop)."""
    close = np.asarray(close, dtype=float)
    change = np.diff(close, prepend=np.nan)
    gain = np.where(change > 0, change, 0.0)
    loss = np.where(change < 0, -change, 0.0)
    out = np.full(len(close), np.nan)
    avg_gain, avg_loss = gain[1 : n + 1].mean(), loss[1 : n + 1].mean()
    for t in range(n, len(close)):
        if t > n:
            avg_gain = (avg_gain * (n - 1) + gain[t]) / n
            avg_loss = (avg_loss * (n - 1) + loss[t]) / n
        out[t] = 100.0 if avg_loss == 0 else 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    return out


def crosses_above(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Bars where ``a`` closes above ``b`` after being at or below it on the bar before."""
    return ((a > b) & (a.shift(1) <= b.shift(1))).to_numpy()
