"""ATR: volatility breakout — buy a close that jumps more than k average true ranges above the
previous close, sell one that drops more than k below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import atr, previous
from rules.spec import Panel, ParamSpec, RuleSpec, same_warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def _levels(
    close: np.ndarray, atr_line: np.ndarray, k: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower) = close[t−1] ± k · ATR[t−1] (bar t's own range is not known when the
    levels are set); broadcasts over (N, T) ATR rows with an (N, 1) k."""
    prev_close, band = previous(close), k * previous(atr_line)
    return prev_close + band, prev_close - band


def _atr(bars: Bars, params: dict) -> np.ndarray:
    return atr(bars.high, bars.low, bars.close, params["period"])


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry where close[t] > close[t−1] + multiplier · ATR(period)[t−1]; exit where
    close[t] < close[t−1] − multiplier · ATR(period)[t−1] (TA-Lib's ATR, first value at bar
    period, so the first signal can come at bar period + 1)."""
    upper, lower = _levels(bars.close, _atr(bars, params), params["multiplier"])
    return bars.close > upper, bars.close < lower


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The two trigger levels."""
    upper, lower = _levels(bars.close, _atr(bars, params), params["multiplier"])
    label = f"{params['multiplier']:g} ATR({params['period']})"
    return {f"Close + {label}": upper, f"Close − {label}": lower}


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one ATR line per distinct period."""
    lines = _batch.indicator_rows(
        cache, bars, atr, ("high", "low", "close"), [(p["period"],) for p in params_list]
    )
    upper, lower = _levels(bars.close, lines, _batch.column(params_list, "multiplier"))
    return bars.close > upper, bars.close < lower


def panels(bars: Bars, params: dict) -> list[Panel]:
    """The average true range, in price units."""
    return [Panel("atr", f"ATR({params['period']})", "price", {"ATR": _atr(bars, params)})]


SPEC = RuleSpec(
    rule_type="ATR",
    description="Volatility breakout: buy when the close rises more than k ATRs above the "
    "previous close, sell when it falls more than k ATRs below it.",
    params=(
        ParamSpec("period", "int", 14, 1, 200, "Bars in the average true range (Wilder)."),
        ParamSpec(
            "multiplier",
            "float",
            1.0,
            0.1,
            10.0,
            "k: how many ATRs the close must move from the previous close.",
        ),
    ),
    signals=signals,
    overlays=overlays,
    panels=panels,
    warmup=same_warmup("period", 1),  # the ATR of the previous bar: from bar period + 1
)
