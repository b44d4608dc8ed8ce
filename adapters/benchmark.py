"""The buy-and-hold benchmark: the initial capital held in the asset from the first close."""

from __future__ import annotations

import numpy as np

from adapters._plain import number
from adapters.curves import columns
from engine import Bars


def buy_and_hold(
    bars: Bars, initial_capital: float, points: np.ndarray | None = None
) -> dict[str, list | float | None]:
    """Equity of ``initial_capital`` × close / first close on every bar (at ``points``, with
    their ``bar`` indices: ``adapters.curve_points``), and its return.

    No fees, fractional holding, bought at the first close: the same convention as
    backtesting.py's "Buy & Hold Return [%]" (close[-1] / close[0] − 1) × 100.
    """
    close = bars.close
    curve = columns(bars.timestamps, {"equity": initial_capital * close / close[0]}, points)
    bar = curve.pop("bar", None)
    curve["return_pct"] = number((close[-1] / close[0] - 1.0) * 100.0)
    return curve if bar is None else curve | {"bar": bar}
