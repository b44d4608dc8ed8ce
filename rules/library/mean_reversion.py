"""MEAN_REVERSION: buy when the close is far below its moving average (in standard
deviations), sell once it has come back."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

from rules._levels import Levels
from rules.indicators import bands, sma, stddev, zscore
from rules.spec import Panel, ParamSpec, RuleSpec

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


LEVELS = Levels(zscore, operator.lt, "entry_z", operator.gt, "exit_z", first_bar=-1)
"""With z = (close − SMA(period)) / population std(period): entry on every bar where
z < entry_z, exit on every bar where z > exit_z (levels; no signal before bar period − 1,
where z is first defined, or where the window is flat, std 0)."""

batch = LEVELS.batch


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The moving average and the prices where z equals entry_z and exit_z."""
    middle, width = sma(bars.close, params["period"]), stddev(bars.close, params["period"])
    return {
        f"SMA {params['period']}": middle,
        f"Entry level (z {params['entry_z']:g})": bands(middle, width, params["entry_z"])[0],
        f"Exit level (z {params['exit_z']:g})": bands(middle, width, params["exit_z"])[0],
    }


def panels(bars: Bars, params: dict) -> list[Panel]:
    """The z-score with the entry and exit levels (the same lines as the overlays, in
    standard deviations)."""
    z = zscore(bars.close, params["period"])
    return [
        Panel(
            "zscore",
            f"z-score({params['period']})",
            "σ",
            {"z": z},
            (params["entry_z"], params["exit_z"]),
        )
    ]


SPEC = RuleSpec(
    rule_type="MEAN_REVERSION",
    description="Buy when the close is more than a few standard deviations below its moving "
    "average, sell when it is back above a level.",
    params=(
        ParamSpec("period", "int", 20, 2, 400, "Moving-average and std window in bars."),
        ParamSpec("entry_z", "float", -2.0, -10, 10, "Buy while the z-score is below this."),
        ParamSpec("exit_z", "float", 0.0, -10, 10, "Sell while the z-score is above this."),
    ),
    constraints=("entry_z < exit_z",),
    signals=LEVELS.signals,
    overlays=overlays,
    panels=panels,
    warmup=LEVELS.warmup,
)
