"""MACD: buy when the MACD line crosses above its signal line, sell when it crosses below."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import ema_rows, macd, macd_line_rows
from rules.signals import cross_above, cross_below
from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry when the MACD line (EMA(fast) − EMA(slow)) crosses above its signal line
    (EMA(signal) of the MACD line); exit when it crosses below. TA-Lib seeding."""
    line, signal, _ = macd(bars.close, params["fast"], params["slow"], params["signal"])
    return cross_above(line, signal), cross_below(line, signal)


def lines_batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """(N, T) MACD lines and signal lines: row i equals ``macd(...)[:2]`` for params_list[i].

    MACD lines are cached per distinct (fast, slow) pair; the signal lines are computed for
    the rows at hand in one vectorised pass (caching them would hold one array per combo).
    """

    def compute(missing: list) -> np.ndarray:
        fast = np.array([key[1] for key in missing])
        slow = np.array([key[2] for key in missing])
        return macd_line_rows(bars.close, fast, slow)

    line = _batch.rows(cache, [("macd_line", p["fast"], p["slow"]) for p in params_list], compute)
    signal = ema_rows(line, np.array([p["signal"] for p in params_list]))
    return line, signal


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets, on (N, T) arrays."""
    line, signal = lines_batch(bars, params_list, cache)
    return cross_above(line, signal), cross_below(line, signal)


def macd_panel(close: np.ndarray, fast: int, slow: int, signal: int) -> Panel:
    """The MACD line, its signal line and the histogram (MACD − signal), in price units
    (RSI_MACD uses it too)."""
    line, sig, hist = macd(close, fast, slow, signal)
    return Panel(
        "macd",
        f"MACD({fast},{slow},{signal})",
        "price",
        {"MACD": line, "signal": sig, "histogram": hist},
        histograms=("histogram",),
    )


def panels(bars: Bars, params: dict) -> list[Panel]:
    """The MACD panel."""
    return [macd_panel(bars.close, params["fast"], params["slow"], params["signal"])]


def cross_warmup(params: dict) -> int:
    """First bar a MACD line / signal line cross can happen (RSI_MACD reads it too)."""
    return params["slow"] + params["signal"] - 1


def warmup(params: dict) -> Warmup:
    """The signal line is defined from bar slow + signal − 2, and a cross reads the bar
    before it."""
    bars = cross_warmup(params)
    return bars, bars


SPEC = RuleSpec(
    rule_type="MACD",
    description="Buy when the MACD line crosses above its signal line, sell when it crosses below.",
    params=(
        ParamSpec("fast", "int", 12, 2, 200, "Fast EMA period in bars."),
        ParamSpec("slow", "int", 26, 3, 400, "Slow EMA period in bars."),
        ParamSpec("signal", "int", 9, 2, 100, "Signal-line EMA period in bars."),
    ),
    constraints=("fast < slow",),
    signals=signals,
    panels=panels,
    warmup=warmup,
)
