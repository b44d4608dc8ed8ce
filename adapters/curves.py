"""Per-bar curves of one backtest (equity, drawdown, portfolio) as JSON-ready dicts.

Every curve is aligned with the bars: one value per bar, stamped with ``iso_utc``.
"""

from __future__ import annotations

import numpy as np

from adapters._plain import float_list
from adapters.timestamps import iso_utc
from engine import Bars, EngineResult


def drawdown_pct(equity: np.ndarray) -> np.ndarray:
    """Percent below the running peak of ``equity`` on each bar (values <= 0).

    The same definition as the engine's ``max_drawdown_pct``, with the sign flipped:
    ``-drawdown_pct(equity).min() == max_drawdown_pct``.

    >>> drawdown_pct(np.array([100.0, 120.0, 90.0, 130.0])).tolist()
    [0.0, 0.0, -25.0, 0.0]
    """
    peak = np.maximum.accumulate(equity)
    return (equity - peak) / peak * 100.0


def equity_curve(bars: Bars, result: EngineResult) -> dict[str, list]:
    """Equity (cash + position marked at the close) on every bar."""
    return {"timestamps": iso_utc(bars.timestamps), "equity": float_list(result.equity)}


def drawdown_curve(bars: Bars, result: EngineResult) -> dict[str, list]:
    """Drawdown in percent below the running peak of equity on every bar (<= 0)."""
    return {
        "timestamps": iso_utc(bars.timestamps),
        "drawdown_pct": float_list(drawdown_pct(result.equity)),
    }


def portfolio_curve(bars: Bars, result: EngineResult) -> dict[str, list]:
    """Cash, shares held (signed: negative when short), the position's market value
    (shares × close) and the total (= equity) on every bar."""
    return {
        "timestamps": iso_utc(bars.timestamps),
        "cash": float_list(result.cash),
        "shares": float_list(result.position),
        "position": float_list(result.position * bars.close),
        "total": float_list(result.equity),
    }
