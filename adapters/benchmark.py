"""The buy-and-hold benchmark: the initial capital held in the asset from the first close."""

from __future__ import annotations

import numpy as np

from adapters._plain import number
from adapters.columnar import Column, Columns, FloatColumn, TimeColumn, held
from engine import Bars


def buy_and_hold(
    bars: Bars, initial_capital: float, points: np.ndarray | None = None, *, columnar: bool = False
) -> dict[str, list | float | None] | Columns:
    """Equity of ``initial_capital`` × close / first close on every bar (at ``points``, with
    their ``bar`` indices: ``adapters.curve_points``), and its return.

    No fees, fractional holding, bought at the first close: the same convention as
    backtesting.py's "Buy & Hold Return [%]" (close[-1] / close[0] − 1) × 100.
    ``columnar``: as ``adapters.curves.columns``.
    """
    close = bars.close
    kept = close if points is None else close[points]  # each point's value as on every bar
    curve = {
        "timestamps": TimeColumn(bars.timestamps, points),
        "equity": FloatColumn(initial_capital * kept / close[0]),
        "return_pct": number((close[-1] / close[0] - 1.0) * 100.0),
    }
    return held(Columns(curve if points is None else curve | {"bar": Column(points)}), columnar)
