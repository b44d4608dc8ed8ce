"""MOMENTUM: buy while the rate of change is above a threshold, sell while it is below one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import roc
from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """With ROC = (close[t] / close[t − period] − 1) · 100: entry on every bar where
    ROC > entry_threshold, exit on every bar where ROC < exit_threshold (percent; levels,
    not crossings; no signal before bar period)."""
    change = roc(bars.close, params["period"])
    return change > params["entry_threshold"], change < params["exit_threshold"]


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one ROC per distinct period, (N, T) comparisons."""
    change = _batch.indicator_rows(
        cache, bars, roc, ("close",), [(p["period"],) for p in params_list]
    )
    entries = change > _batch.column(params_list, "entry_threshold")
    exits = change < _batch.column(params_list, "exit_threshold")
    return entries, exits


def panels(bars: Bars, params: dict) -> list[Panel]:
    """The rate of change (%) with the entry and exit thresholds."""
    levels = tuple(dict.fromkeys((params["exit_threshold"], params["entry_threshold"])))
    change = roc(bars.close, params["period"])
    return [Panel("roc", f"ROC({params['period']})", "%", {"ROC": change}, levels)]


def warmup(params: dict) -> Warmup:
    """ROC(period) is first defined on bar period."""
    return params["period"], params["period"]


SPEC = RuleSpec(
    rule_type="MOMENTUM",
    description="Buy while the rate of change over a period is above a threshold, sell while "
    "it is below another.",
    params=(
        ParamSpec("period", "int", 10, 1, 400, "Rate-of-change lookback in bars."),
        ParamSpec("entry_threshold", "float", 0.0, -100, 100, "Buy while ROC (%) is above this."),
        ParamSpec("exit_threshold", "float", 0.0, -100, 100, "Sell while ROC (%) is below this."),
    ),
    constraints=("exit_threshold <= entry_threshold",),
    signals=signals,
    overlays=None,
    panels=panels,
    warmup=warmup,
)
