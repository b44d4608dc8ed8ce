"""MOMENTUM: buy while the rate of change is above a threshold, sell while it is below one."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

from rules._levels import Levels
from rules.indicators import roc
from rules.spec import Panel, ParamSpec, RuleSpec

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


LEVELS = Levels(roc, operator.gt, "entry_threshold", operator.lt, "exit_threshold")
"""With ROC = (close[t] / close[t − period] − 1) · 100: entry on every bar where
ROC > entry_threshold, exit on every bar where ROC < exit_threshold (percent; levels,
not crossings; no signal before bar period, where ROC is first defined)."""

batch = LEVELS.batch


def panels(bars: Bars, params: dict) -> list[Panel]:
    """The rate of change (%) with the entry and exit thresholds."""
    levels = tuple(dict.fromkeys((params["exit_threshold"], params["entry_threshold"])))
    change = roc(bars.close, params["period"])
    return [Panel("roc", f"ROC({params['period']})", "%", {"ROC": change}, levels)]


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
    signals=LEVELS.signals,
    panels=panels,
    warmup=LEVELS.warmup,
)
