"""A portfolio of rules over a loaded universe: each ticker's entries and exits from the
strategy's rule on its own bars (``rules.generate_signals_batch``, the run's signal step:
computed on the ticker's whole history up to the window's end, so indicators warm up on the
bars before it and a signal on bar t reads bars up to t only), aligned on the universe's
calendar, then ``engine.portfolio.simulate_signals`` on the one ledger.

Pure: no I/O (the universe is loaded by ``kinds.portfolios.universe``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from engine.broker.stops import Stops
from engine.capacity import value_at_capital
from engine.portfolio import ForcedCloses, PortfolioConfig, PortfolioResult
from engine.portfolio.signals import simulate_signals
from kinds.portfolios.strategy import rule_costs_of

if TYPE_CHECKING:  # pragma: no cover
    from kinds.portfolios.compute import Simulation
    from kinds.portfolios.universe import Universe


def aligned_signals(strategy: dict, universe: Universe) -> tuple[np.ndarray, np.ndarray]:
    """(entries, exits) (T, N) on the universe's calendar: each ticker's rule signals on
    its own bars (as ``ranked_bars`` has them: adjusted with a ``price_adjustment``), False
    where it has no bar."""
    from rules import generate_signals_batch

    shape = universe.close.shape
    entries = np.zeros(shape, dtype=bool)
    exits = np.zeros(shape, dtype=bool)
    rule_type, params = strategy["rule_type"], strategy["params"]
    for column, (bars, rows) in enumerate(zip(universe.ranked_bars(), universe.rows, strict=True)):
        entry, exit_ = generate_signals_batch(rule_type, [params], bars, validated=True)
        inside = rows >= 0
        entries[rows[inside], column] = entry[0][inside]
        exits[rows[inside], column] = exit_[0][inside]
    return entries, exits


def aligned_range(universe: Universe) -> tuple[np.ndarray, np.ndarray]:
    """(high, low) (T, N) of the bars as traded on the universe's calendar, NaN where a
    ticker has no bar (what the stops are checked against)."""
    high = np.full(universe.close.shape, np.nan)
    low = np.full(universe.close.shape, np.nan)
    for column, (bars, rows) in enumerate(zip(universe.histories, universe.rows, strict=True)):
        inside = rows >= 0
        high[rows[inside], column] = np.asarray(bars.high)[inside]
        low[rows[inside], column] = np.asarray(bars.low)[inside]
    return high, low


def rules_simulator(request: dict, universe: Universe, closes: ForcedCloses | None) -> Simulation:
    """The simulation of a portfolio of rules (``allocation.method`` ``rules``) as a
    function of its configuration: the signals, the bars' ranges and the stops are computed
    once, and each call simulates the one ledger with its ``config`` (compiled when asked:
    ``simulate_signals``' ``compiled``). An entry by value
    (``size_type`` ``value``) is the same share of ``config``'s capital as of the request's
    (``engine.capacity.value_at_capital``); a percent of the cash is kept."""
    strategy = request["strategy"]
    entries, exits = aligned_signals(strategy, universe)
    high, low = aligned_range(universe)
    stops = Stops.of(SimpleNamespace(**strategy))  # the run's percents, as a run reads them
    initial = request["initial_capital"]

    def at(config: PortfolioConfig, compiled: bool = False) -> PortfolioResult:
        sized = strategy
        if strategy["size_type"] == "value":
            size = value_at_capital(strategy["position_size"], config.initial_capital, initial)
            sized = {**strategy, "position_size": size}
        return simulate_signals(
            universe.open,
            high,
            low,
            universe.close,
            entries,
            exits,
            config,
            rule_costs_of(sized, config),
            stops,
            closes,
            universe.actions,
            compiled,
        )

    return at


def simulate_rules(
    request: dict, universe: Universe, config: PortfolioConfig, closes: ForcedCloses | None
) -> PortfolioResult:
    """The core's simulation of a portfolio of rules (``allocation.method`` ``rules``)."""
    return rules_simulator(request, universe, closes)(config)


__all__ = ["aligned_range", "aligned_signals", "rules_simulator", "simulate_rules"]
