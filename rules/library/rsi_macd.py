"""RSI_MACD: a MACD crossover entry confirmed by RSI, with an RSI overbought exit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import macd, rsi
from rules.library.macd import cross_warmup, lines_batch, macd_panel
from rules.library.rsi import OVERBOUGHT, rsi_panel
from rules.signals import cross_above, cross_below
from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry when the MACD line crosses above its signal line on a bar where
    RSI(rsi_period) < rsi_below; exit when the MACD line crosses below its signal line or
    on any bar where RSI(rsi_period) > overbought."""
    line, signal, _ = macd(bars.close, params["fast"], params["slow"], params["signal"])
    value = rsi(bars.close, params["rsi_period"])
    entries = cross_above(line, signal) & (value < params["rsi_below"])
    exits = cross_below(line, signal) | (value > params["overbought"])
    return entries, exits


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets, on (N, T) arrays."""
    line, signal = lines_batch(bars, params_list, cache)
    value = _batch.indicator_rows(
        cache, bars, rsi, ("close",), [(p["rsi_period"],) for p in params_list]
    )
    entries = cross_above(line, signal) & (value < _batch.column(params_list, "rsi_below"))
    exits = cross_below(line, signal) | (value > _batch.column(params_list, "overbought"))
    return entries, exits


def panels(bars: Bars, params: dict) -> list[Panel]:
    """RSI with the entry level (rsi_below) and the overbought exit, and the MACD panel."""
    return [
        rsi_panel(bars.close, params["rsi_period"], params["rsi_below"], params["overbought"]),
        macd_panel(bars.close, params["fast"], params["slow"], params["signal"]),
    ]


def warmup(params: dict) -> Warmup:
    """Entry: the MACD cross AND RSI (the later of the two); exit: the cross OR RSI (the
    earlier)."""
    cross, rsi_bars = cross_warmup(params), params["rsi_period"]
    return max(cross, rsi_bars), min(cross, rsi_bars)


SPEC = RuleSpec(
    rule_type="RSI_MACD",
    description="Buy on a MACD cross up while RSI is below a level; sell on a MACD cross down "
    "or when RSI is overbought.",
    params=(
        ParamSpec("rsi_period", "int", 14, 2, 200, "RSI lookback in bars (Wilder smoothing)."),
        ParamSpec("rsi_below", "float", 50.0, 1, 99, "Buy only while RSI is below this level."),
        OVERBOUGHT,
        ParamSpec("fast", "int", 12, 2, 200, "Fast EMA period of the MACD."),
        ParamSpec("slow", "int", 26, 3, 400, "Slow EMA period of the MACD."),
        ParamSpec("signal", "int", 9, 2, 100, "Signal-line EMA period of the MACD."),
    ),
    constraints=("rsi_below <= overbought", "fast < slow"),
    signals=signals,
    panels=panels,
    warmup=warmup,
)
