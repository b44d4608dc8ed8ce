"""The engine's entry points: ``run`` (one backtest) and ``run_batch`` (N at once).

Both go through the same core (``engine._simulate``: vectorised without stops, a bar-by-bar
walk per run with stops), so a run inside a sweep and the same run on its own give
bit-for-bit equal numbers.
"""

from __future__ import annotations

import math

import numpy as np

from engine import _simulate
from engine._stats import core_metrics
from engine._trades import trade_table
from engine.bars import Bars
from engine.params import TradingParams
from engine.result import CORE_METRICS, BatchResult, EngineResult

BATCH_ROWS = 64
"""Runs whose paths and metrics are built together (64 × T floats stay in cache)."""


def _as_signals(bars: Bars, entries: np.ndarray, exits: np.ndarray, ndim: int) -> tuple:
    entries = np.asarray(entries, dtype=bool)
    exits = np.asarray(exits, dtype=bool)
    if entries.ndim != ndim or entries.shape != exits.shape or entries.shape[-1] != len(bars):
        raise ValueError(
            f"signals must have shape {'(N, T)' if ndim == 2 else '(T,)'} with T = {len(bars)}; "
            f"got entries {entries.shape}, exits {exits.shape}"
        )
    return entries, exits


def _events(bars: Bars, entries: np.ndarray, exits: np.ndarray, params: TradingParams):
    if params.has_stops:
        return _simulate.stop_events(entries, exits, bars.open, bars.high, bars.low, params)
    runs, fill_bars, sides = _simulate.transitions(entries, exits, params.direction)
    return _simulate.fill_events(entries.shape[0], runs, fill_bars, sides, bars.open, params)


def _block(events, first: int, last: int, bars: Bars, params: TradingParams):
    """Paths and core metrics of runs ``first:last``."""
    state_paths = _simulate.paths(events, first, last, bars.close, params.initial_capital)
    counts = _simulate.trade_counts(events, first, last, state_paths.bust_bar)
    return state_paths, core_metrics(
        state_paths.equity, params.initial_capital, counts, params.annual_bars
    )


def run(
    bars: Bars, entries: np.ndarray, exits: np.ndarray, params: TradingParams | None = None
) -> EngineResult:
    """Backtest one signal pair over ``bars``.

    >>> import numpy as np
    >>> bars = Bars(np.arange(4).astype("datetime64[D]"), [10, 10, 12, 12], [10, 10, 12, 12],
    ...             [10, 10, 12, 12], [10, 11, 12, 13], [1, 1, 1, 1])
    >>> res = run(bars, [True, False, False, False], [False, False, True, False],
    ...           TradingParams(fee_rate=0.0, position_size=1000))
    >>> [(t.entry_bar, t.exit_bar, t.size, t.pnl) for t in res.trades]
    [(1, 3, 100, 200.0)]
    """
    params = params or TradingParams()
    entries, exits = _as_signals(bars, entries, exits, ndim=1)
    events = _events(bars, entries[None], exits[None], params)
    state_paths, metrics = _block(events, 0, 1, bars, params)
    bust = int(state_paths.bust_bar[0])
    return EngineResult(
        cash=state_paths.cash[0],
        position=state_paths.position[0],
        equity=state_paths.equity[0],
        trades=trade_table(events, bust, bars.close, params.fee_rate),
        metrics={name: _scalar(values[0]) for name, values in metrics.items()},
        bust_bar=bust if bust >= 0 else None,
    )


def run_batch(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    params: TradingParams | None = None,
    *,
    keep_equity: bool = False,
) -> BatchResult:
    """Backtest N signal pairs (rows of ``entries``/``exits``, N × T) over the same bars.

    Fills are walked for all N runs at once; paths and metrics are then built in blocks of
    ``BATCH_ROWS`` runs (cache-sized). Returns the core metrics per row; equity (N × T) only
    with ``keep_equity``.
    """
    params = params or TradingParams()
    entries, exits = _as_signals(bars, entries, exits, ndim=2)
    n_runs = entries.shape[0]
    events = _events(bars, entries, exits, params)
    parts: list[dict[str, np.ndarray]] = []
    equities: list[np.ndarray] = []
    for first in range(0, n_runs, BATCH_ROWS):
        state_paths, metrics = _block(events, first, min(first + BATCH_ROWS, n_runs), bars, params)
        parts.append(metrics)
        if keep_equity:
            equities.append(state_paths.equity)
    if not parts:
        return BatchResult(metrics={name: np.empty(0) for name in CORE_METRICS})
    merged = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    return BatchResult(metrics=merged, equity=np.concatenate(equities) if keep_equity else None)


def _scalar(value: np.generic) -> float | int | None:
    if isinstance(value, np.integer):
        return int(value)
    value = float(value)
    return None if math.isnan(value) else value
