"""TREND: trade the direction of a strong trend (ADX and the directional indicators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators_trend import directional
from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def _rule(
    plus_di: np.ndarray, minus_di: np.ndarray, adx: np.ndarray, threshold: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return (adx > threshold) & (plus_di > minus_di), plus_di < minus_di


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry where ADX(period)[t] > adx_threshold and +DI[t] > −DI[t]; exit where
    +DI[t] < −DI[t] (levels; TA-Lib's PLUS_DI/MINUS_DI/ADX, so no entry before bar
    2·period − 1 and no exit before bar period)."""
    plus_di, minus_di, adx = directional(bars.high, bars.low, bars.close, params["period"])
    return _rule(plus_di, minus_di, adx, params["adx_threshold"])


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one (+DI, −DI, ADX) stack per distinct period."""

    def compute(missing: list) -> list[np.ndarray]:
        return [np.stack(directional(bars.high, bars.low, bars.close, key[1])) for key in missing]

    lines = _batch.rows(cache, [("directional", p["period"]) for p in params_list], compute)
    threshold = _batch.column(params_list, "adx_threshold")
    return _rule(lines[:, 0], lines[:, 1], lines[:, 2], threshold)


def panels(bars: Bars, params: dict) -> list[Panel]:
    """ADX, +DI and −DI on their 0–100 scale with the ADX threshold."""
    plus_di, minus_di, adx = directional(bars.high, bars.low, bars.close, params["period"])
    return [
        Panel(
            "adx",
            f"ADX({params['period']})",
            "",
            {"ADX": adx, "+DI": plus_di, "−DI": minus_di},
            (params["adx_threshold"],),
            bounds=(0, 100),
        )
    ]


def warmup(params: dict) -> Warmup:
    """Entry reads ADX (from bar 2·period − 1) and ±DI; exit reads ±DI only (from bar
    period)."""
    return 2 * params["period"] - 1, params["period"]


SPEC = RuleSpec(
    rule_type="TREND",
    description="Buy when ADX shows a strong trend and +DI is above −DI, sell when +DI falls "
    "below −DI.",
    params=(
        ParamSpec("period", "int", 14, 2, 100, "Bars in the directional indicators and ADX."),
        ParamSpec(
            "adx_threshold",
            "float",
            25.0,
            0.0,
            100.0,
            "Enter only while ADX is above this level (trend strength, 0–100).",
        ),
    ),
    signals=signals,
    panels=panels,
    warmup=warmup,
)
