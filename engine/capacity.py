"""Capacity: one run re-simulated at a list of starting capitals, in one process.

The same bars, signals, entry-order prices, position exit, size series and corporate actions
are run once per capital with the request's trading parameters (its costs, stops and
liquidity models) unchanged but for the capital (``at_capital``). The signals are computed
once by the caller; only the simulation is repeated. What a capital changes is the number of
shares each order asks for: whole-share rounding makes a small capital differ, and a volume
limit or a market-impact model makes a large one trade less, later or dearer
(docs/capacity.md).

Each capital goes through the broker's compiled step in its batch pass
(``engine.broker.curves``, the pass a sweep's walked runs take), which reduces the run to its
core metrics and equity without building its trade table, and with a liquidity field counts
the shares its entries were sized for and filled: a run without a size series, a
position-aware exit or corporate actions on the position, on finite prices of at least 3
bars. Every other run is ``engine.backtest.run`` at each capital. Both give, capital by
capital, the numbers ``run`` gives bit for bit (tests/engine/test_engine_capacity.py).

``capital_grid`` is the default list: 12 capitals log-spaced from 10 k to 1 B.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from engine import backtest
from engine.backtest import run
from engine.params import TradingParams
from engine.result import CORE_METRICS

if TYPE_CHECKING:  # pragma: no cover
    from engine._simulate import PositionExit, Sizer
    from engine.bars import Bars
    from engine.corporate import CorporateActions

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
        size = value_at_capital(params.position_size, capital, params.initial_capital)
        return replace(params, initial_capital=capital, position_size=size)
    return replace(params, initial_capital=capital)


def value_at_capital(size: float, capital: float, initial_capital: float) -> float:
    """A size by value at ``capital``: the same share of it as ``size`` is of
    ``initial_capital`` (``size`` × capital / ``initial_capital``), ``size`` itself at
    ``initial_capital`` (so the own capital's run is the run, bit for bit). The one rule of
    a run's ``at_capital`` and a portfolio of rules' entries by value."""
    if capital == initial_capital:
        return size
    return size * capital / initial_capital


@dataclass(frozen=True, eq=False)
class CapacityRuns:
    """The runs of one request at ``capitals`` (ascending as given): each one's equity
    (N × T), its core metrics (``engine.result.CORE_METRICS``, one value per capital, NaN
    where undefined) and, with a liquidity field, the shares its entries were sized for and
    those they filled (``entered``, N × 2, every entry counted, a market one's too; None
    without a liquidity field: every order fills whole)."""

    capitals: tuple[float, ...]
    equity: np.ndarray
    metrics: dict[str, np.ndarray]
    entered: np.ndarray | None = None


def in_step_pass(
    bars: Bars,
    params: TradingParams,
    *,
    position_exit: PositionExit | None = None,
    size: Sizer | None = None,
    actions: CorporateActions | None = None,
) -> bool:
    """Whether ``run_capacity`` walks these runs in the step's batch pass (the module's
    rule) rather than ``run`` at each capital."""
    plain = position_exit is None and size is None and params.size_unit is None
    prices = (bars.open, bars.high, bars.low, bars.close)
    return (
        plain
        and backtest.acting_actions(actions, bars, params) is None
        and len(bars) >= 3
        and all(np.isfinite(column).all() for column in prices)
    )


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
) -> CapacityRuns:
    """The run of ``entries``/``exits`` on ``bars`` with ``params`` at each of ``capitals``
    (``at_capital``); the other inputs as ``engine.backtest.run`` takes them. A capital
    equal to ``params.initial_capital`` gives the run's own equity and metrics."""
    capitals = tuple(float(capital) for capital in capitals)
    inputs = {"position_exit": position_exit, "size": size, "actions": actions}
    if in_step_pass(bars, params, **inputs):
        rows = np.asarray(entries, dtype=bool)[None], np.asarray(exits, dtype=bool)[None]
        equity = np.empty((len(capitals), len(bars)))
        returns = np.empty((len(capitals), len(bars) - 1))
        metrics = {name: np.empty(len(capitals)) for name in CORE_METRICS}
        entered = np.zeros((len(capitals), 2))
        shared = backtest.pass_arguments(bars, params, rows, (limit, stop), None)
        for i, capital in enumerate(capitals):
            kept = equity[i : i + 1], returns[i : i + 1]
            at = at_capital(params, capital)
            done = backtest.stepped_batch(
                bars, *rows, at, (limit, stop), None, kept, False, entered[i : i + 1],
                shared=shared,
            )  # fmt: skip
            for name in CORE_METRICS:
                metrics[name][i] = done.metrics[name][0]
        return CapacityRuns(capitals, equity, metrics, entered if params.liquid else None)
    results = [
        run(bars, entries, exits, at_capital(params, capital), limit=limit, stop=stop, **inputs)
        for capital in capitals
    ]
    metrics = {
        name: np.array([np.nan if r.metrics[name] is None else r.metrics[name] for r in results])
        for name in CORE_METRICS
    }
    equity = np.array([result.equity for result in results]).reshape(len(capitals), len(bars))
    if not params.liquid:
        return CapacityRuns(capitals, equity, metrics)
    entered = np.array([result.entered for result in results], dtype=np.float64)
    return CapacityRuns(capitals, equity, metrics, entered.reshape(len(capitals), 2))
