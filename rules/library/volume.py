"""VOLUME: buy a volume spike on an up close, sell when the close falls below its moving
average."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import previous, sma
from rules.spec import Panel, ParamSpec, RuleSpec, Warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry where volume[t] > volume_factor · SMA(volume, volume_period)[t] and
    close[t] > close[t−1]; exit where close[t] < SMA(close, exit_period)[t] (levels; the
    average includes bar t; no signal during either average's warm-up)."""
    spike = bars.volume > params["volume_factor"] * sma(bars.volume, params["volume_period"])
    exits = bars.close < sma(bars.close, params["exit_period"])
    return spike & (bars.close > previous(bars.close)), exits


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The exit average (the volume average is not on the price scale)."""
    return {f"SMA ({params['exit_period']})": sma(bars.close, params["exit_period"])}


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one average per distinct period."""
    volume_avg = _batch.indicator_rows(
        cache, bars, sma, ("volume",), [(p["volume_period"],) for p in params_list]
    )
    close_avg = _batch.indicator_rows(
        cache, bars, sma, ("close",), [(p["exit_period"],) for p in params_list]
    )
    spike = bars.volume > _batch.column(params_list, "volume_factor") * volume_avg
    return spike & (bars.close > previous(bars.close)), bars.close < close_avg


def panels(bars: Bars, params: dict) -> list[Panel]:
    """Volume (bars) and the spike threshold: volume_factor × SMA(volume, volume_period)."""
    factor, period = params["volume_factor"], params["volume_period"]
    threshold = factor * sma(bars.volume, period)
    return [
        Panel(
            "volume",
            "Volume",
            "shares",
            {"volume": bars.volume, f"{factor:g} × SMA({period})": threshold},
            histograms=("volume",),
        )
    ]


def warmup(params: dict) -> Warmup:
    """Entry: SMA(volume) (from bar volume_period − 1) AND close > previous close (from
    bar 1); exit: SMA(close, exit_period), from bar exit_period − 1."""
    return max(params["volume_period"] - 1, 1), params["exit_period"] - 1


SPEC = RuleSpec(
    rule_type="VOLUME",
    description="Buy on a volume spike with an up close, sell when the close falls below its "
    "moving average.",
    params=(
        ParamSpec("volume_period", "int", 20, 2, 400, "Bars in the average volume."),
        ParamSpec(
            "volume_factor",
            "float",
            2.0,
            1.0,
            10.0,
            "A spike is volume above this multiple of the average volume.",
        ),
        ParamSpec("exit_period", "int", 20, 2, 400, "Bars in the close average for the exit."),
    ),
    signals=signals,
    overlays=overlays,
    panels=panels,
    warmup=warmup,
)
