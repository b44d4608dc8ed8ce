"""BOLLINGER: buy when the close breaks below the lower band, sell above the upper band."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import bands, bollinger, sma, stddev
from rules.signals import cross_above, cross_below
from rules.spec import ParamSpec, RuleSpec, same_warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry when the close crosses below the lower band (SMA(period) − std_dev · population
    std); exit when it crosses above the upper band (SMA + std_dev · std)."""
    _, upper, lower = bollinger(bars.close, params["period"], params["std_dev"])
    return cross_below(bars.close, lower), cross_above(bars.close, upper)


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The middle, upper and lower bands."""
    middle, upper, lower = bollinger(bars.close, params["period"], params["std_dev"])
    label = f"({params['period']}, {params['std_dev']:g})"
    return {f"BB middle {label}": middle, f"BB upper {label}": upper, f"BB lower {label}": lower}


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: SMA and std once per distinct period, (N, T) bands."""
    periods = [(p["period"],) for p in params_list]
    middle = _batch.indicator_rows(cache, bars, sma, ("close",), periods)
    width = _batch.indicator_rows(cache, bars, stddev, ("close",), periods)
    upper, lower = bands(middle, width, _batch.column(params_list, "std_dev"))
    return cross_below(bars.close, lower), cross_above(bars.close, upper)


SPEC = RuleSpec(
    rule_type="BOLLINGER",
    description="Buy when the close crosses below the lower Bollinger band, sell when it "
    "crosses above the upper band.",
    params=(
        ParamSpec("period", "int", 20, 2, 400, "Moving-average window in bars."),
        ParamSpec("std_dev", "float", 2.0, 0.1, 5, "Band width in standard deviations."),
    ),
    signals=signals,
    overlays=overlays,
    # The bands are defined from bar period − 1, and a cross reads the bar before it.
    warmup=same_warmup("period"),
)
