"""Capacity: one run re-simulated at a list of starting capitals, in one process.

The same bars, signals, entry-order prices, position exit, size series and corporate actions
are run through ``engine.backtest.run`` once per capital, with the request's trading
parameters (its costs, stops and liquidity models) unchanged but for the capital
(``at_capital``). The signals are computed once by the caller; only the simulation is
repeated. What a capital changes is the number of shares each order asks for: whole-share
rounding makes a small capital differ, and a volume limit or a market-impact model makes a
large one trade less, later or dearer (docs/capacity.md).

``capital_grid`` is the default list: 12 capitals log-spaced from 10 k to 1 B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from engine.backtest import run
from engine.params import TradingParams

if TYPE_CHECKING:  # pragma: no cover
    from engine._simulate import PositionExit, Sizer
    from engine.bars import Bars
    from engine.corporate import CorporateActions
    from engine.result import EngineResult

LOWEST, HIGHEST, POINTS = 10_000.0, 1_000_000_000.0, 12
"""The default capacity grid: ``POINTS`` capitals from ``LOWEST`` to ``HIGHEST``."""
MAX_POINTS = 24
"""The most capitals one capacity curve may take (``capacity_capitals``)."""


def capital_grid(
    lowest: float = LOWEST, highest: float = HIGHEST, points: int = POINTS
) -> tuple[float, ...]:
    """``points`` capitals log-spaced from ``lowest`` to ``highest``, each rounded to a whole
    unit of currency (10,000, 28,480, 81,113, ... 1,000,000,000 by default)."""
    return tuple(float(round(c)) for c in np.geomspace(lowest, highest, points))


def at_capital(params: TradingParams, capital: float) -> TradingParams:
    """``params`` starting with ``capital``. A size by value (``size_type`` ``value``
    without a size series) is the same share of the starting capital: ``position_size`` ×
    capital / ``initial_capital``; a percent of equity, a fraction of equity and a size in
    shares are kept as they are."""
    if params.size_type == "value" and params.size_unit is None:
        size = params.position_size * capital / params.initial_capital
        return replace(params, initial_capital=capital, position_size=size)
    return replace(params, initial_capital=capital)


def run_capacity(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    params: TradingParams,
    capitals: Sequence[float],
    *,
    limit: np.ndarray | None = None,
    stop: np.ndarray | None = None,
    position_exit: PositionExit | None = None,
    size: Sizer | None = None,
    actions: CorporateActions | None = None,
) -> list[EngineResult]:
    """The run of ``entries``/``exits`` on ``bars`` with ``params`` at each of ``capitals``
    (``at_capital``), in that order; the other inputs as ``engine.backtest.run`` takes
    them. A capital equal to ``params.initial_capital`` gives the run's own result."""
    return [
        run(
            bars,
            entries,
            exits,
            at_capital(params, capital),
            limit=limit,
            stop=stop,
            position_exit=position_exit,
            size=size,
            actions=actions,
        )
        for capital in capitals
    ]
