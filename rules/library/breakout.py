"""BREAKOUT: Donchian channel breakout — buy above the recent high, sell below the recent low."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import previous, rolling_max, rolling_min
from rules.spec import ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def channel(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower): the highest high of the entry_period bars before t and the lowest
    low of the exit_period bars before t."""
    upper = previous(rolling_max(bars.high, params["entry_period"]))
    lower = previous(rolling_min(bars.low, params["exit_period"]))
    return upper, lower


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry on every bar where close[t] > max(high[t − entry_period … t − 1]); exit on
    every bar where close[t] < min(low[t − exit_period … t − 1]) (levels; no signal before
    bar entry_period / exit_period)."""
    upper, lower = channel(bars, params)
    return bars.close > upper, bars.close < lower


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The channel lines."""
    upper, lower = channel(bars, params)
    return {
        f"Highest high ({params['entry_period']})": upper,
        f"Lowest low ({params['exit_period']})": lower,
    }


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one channel line per distinct period."""
    high = _batch.indicator_rows(
        cache, bars, rolling_max, ("high",), [(p["entry_period"],) for p in params_list]
    )
    low = _batch.indicator_rows(
        cache, bars, rolling_min, ("low",), [(p["exit_period"],) for p in params_list]
    )
    return bars.close > previous(high), bars.close < previous(low)


def warmup(params: dict) -> Warmup:
    """The channels are of the bars before t: n (m) bars of history."""
    return params["entry_period"], params["exit_period"]


SPEC = RuleSpec(
    rule_type="BREAKOUT",
    description="Buy when the close breaks above the highest high of recent bars, sell when it "
    "breaks below the lowest low.",
    params=(
        ParamSpec("entry_period", "int", 20, 2, 400, "Bars in the high channel (before today)."),
        ParamSpec("exit_period", "int", 10, 2, 400, "Bars in the low channel (before today)."),
    ),
    signals=signals,
    overlays=overlays,
    warmup=warmup,
)
