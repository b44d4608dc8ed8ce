"""RSI: buy when the Relative Strength Index is oversold, sell when it is overbought."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

from rules._levels import Levels
from rules.indicators import rsi
from rules.spec import Panel, ParamSpec, RuleSpec

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


OVERBOUGHT = ParamSpec("overbought", "float", 70.0, 1, 99, "Sell while RSI is above this level.")
"""The overbought level RSI exits above (RSI_MACD's exit reads it too)."""

LEVELS = Levels(rsi, operator.lt, "oversold", operator.gt, "overbought")
"""Entry on every bar where RSI(period) < oversold; exit on every bar where
RSI(period) > overbought (levels, not crossings; no signal before bar period, where RSI
is first defined)."""

batch = LEVELS.batch


def rsi_panel(close: np.ndarray, period: int, low: float, high: float) -> Panel:
    """RSI(period) on its 0–100 scale with the rule's two levels (RSI_MACD uses it too)."""
    return Panel(
        "rsi", f"RSI({period})", "", {"RSI": rsi(close, period)}, (low, high), bounds=(0, 100)
    )


def panels(bars: Bars, params: dict) -> list[Panel]:
    """RSI with its oversold and overbought levels."""
    return [rsi_panel(bars.close, params["period"], params["oversold"], params["overbought"])]


SPEC = RuleSpec(
    rule_type="RSI",
    description="Buy when RSI drops below the oversold level, sell when it rises above overbought.",
    params=(
        ParamSpec("period", "int", 14, 2, 200, "RSI lookback in bars (Wilder smoothing)."),
        ParamSpec("oversold", "float", 30.0, 1, 99, "Buy while RSI is below this level."),
        OVERBOUGHT,
    ),
    constraints=("oversold < overbought",),
    signals=LEVELS.signals,
    panels=panels,
    warmup=LEVELS.warmup,
)
