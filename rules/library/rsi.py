"""RSI: buy when the Relative Strength Index is oversold, sell when it is overbought."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import rsi
from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry on every bar where RSI(period) < oversold; exit on every bar where
    RSI(period) > overbought (levels, not crossings; no signal during the warm-up)."""
    value = rsi(bars.close, params["period"])
    return value < params["oversold"], value > params["overbought"]


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one RSI per distinct period, (N, T) comparisons."""
    value = _batch.indicator_rows(
        cache, bars, rsi, ("close",), [(p["period"],) for p in params_list]
    )
    oversold = _batch.column(params_list, "oversold")
    overbought = _batch.column(params_list, "overbought")
    return value < oversold, value > overbought


def rsi_panel(close: np.ndarray, period: int, low: float, high: float) -> Panel:
    """RSI(period) on its 0–100 scale with the rule's two levels (RSI_MACD uses it too)."""
    return Panel(
        "rsi", f"RSI({period})", "", {"RSI": rsi(close, period)}, (low, high), bounds=(0, 100)
    )


def panels(bars: Bars, params: dict) -> list[Panel]:
    """RSI with its oversold and overbought levels."""
    return [rsi_panel(bars.close, params["period"], params["oversold"], params["overbought"])]


def warmup(params: dict) -> Warmup:
    """RSI(period) is first defined on bar period."""
    return params["period"], params["period"]


SPEC = RuleSpec(
    rule_type="RSI",
    description="Buy when RSI drops below the oversold level, sell when it rises above overbought.",
    params=(
        ParamSpec("period", "int", 14, 2, 200, "RSI lookback in bars (Wilder smoothing)."),
        ParamSpec("oversold", "float", 30.0, 1, 99, "Buy while RSI is below this level."),
        ParamSpec("overbought", "float", 70.0, 1, 99, "Sell while RSI is above this level."),
    ),
    constraints=("oversold < overbought",),
    signals=signals,
    overlays=None,
    panels=panels,
    warmup=warmup,
)
