"""The engine's entry points: ``run`` (one backtest) and ``run_batch`` (N at once).

Both go through the same core: market entries without stops or a borrow fee fill
vectorised (``engine._simulate``) or in ``engine._kernel``'s one pass; every other run
(stops, a borrow fee, entry orders, a position-aware exit, a size series, corporate
actions, scaling, liquidity) is walked bar by bar by the broker's compiled step
(``engine.broker.step``, through ``engine._scaling``), whatever its size: a single position
as one unit, units when ``max_entries`` or ``exit_fraction`` is set, and a single position
with corporate actions with its unit table. There is no Python walk. So a run inside a
sweep and the same run on its own give bit-for-bit equal numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from engine import _simulate, compiled
from engine._simulate import PositionExit, Sizer
from engine._stats import core_metrics, finish_core
from engine._trades import trade_table
from engine.bars import Bars
from engine.broker.costs import Costs
from engine.broker.orders import placed_until
from engine.params import TradingParams
from engine.result import CORE_METRICS, CURVE_STATS, BatchResult, EngineResult

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import CorporateActions

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


def _given_prices(
    prices: np.ndarray | None, shape: tuple[int, int], name: str
) -> np.ndarray | None:
    """An entry order's price series as N × T floats, None when not given: N × T prices
    as they are, one run's T prices a view of them (no copy for the step to make of a
    read-only broadcast); the engine writes into neither."""
    if prices is None:
        return None
    prices = np.asarray(prices, dtype=np.float64)
    if prices.shape not in (shape, shape[1:]):
        raise ValueError(f"{name} prices must have shape (T,) or (N, T); got {prices.shape}")
    if prices.shape == shape:
        return prices
    return prices.reshape(shape) if shape[0] == 1 else np.broadcast_to(prices, shape)


def _order_events(
    bars: Bars,
    entries,
    exits,
    params: TradingParams,
    limit,
    stop,
    position_exits: Sequence[PositionExit | None] | None = None,
    sizes: Sequence[Sizer] | None = None,
    actions: CorporateActions | None = None,
):
    """Fills and entry orders of N runs whose signals open positions with entry orders
    (with their position-aware exits, size series and corporate actions, when given),
    through the broker's compiled step: a unit per order when they scale in or out
    (docs/execution.md, "Scaling in and out"), else a single position as one unit."""
    from engine import _scaling

    _one_per_run(entries, position_exits, sizes)
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    shape = entries.shape
    # the step reads a series not given as NaN on every bar (``_order_series``)
    prices = (_given_prices(limit, shape, "limit"), _given_prices(stop, shape, "stop"))
    if _as_units(params, actions):
        return _scaling.scale_events(
            entries, exits, ohlc, params, sizes, position_exits, actions, prices,
            volume=bars.volume if params.liquid else None,
        )  # fmt: skip
    return _scaling.stepped_events(entries, exits, ohlc, params, prices, sizes, position_exits)


def _as_units(params: TradingParams, actions: CorporateActions | None) -> bool:
    """Whether runs go through the step as units with their unit table
    (``engine._scaling.scale_events``): they scale in or out or have a liquidity field
    (``params.stepped_as_units``), or corporate actions act on them (a split that leaves a
    position without a whole share closes it there, a trade the table holds)."""
    return params.stepped_as_units or actions is not None


def _one_per_run(entries: np.ndarray, position_exits, sizes) -> None:
    """:raise ValueError: ``position_exits`` or ``sizes`` not one per run."""
    for name, given in (("position_exits", position_exits), ("sizes", sizes)):
        if given is not None and len(given) != entries.shape[0]:
            raise ValueError(f"{name} must hold one per run")


def acting_actions(
    actions: CorporateActions | None, bars: Bars, params: TradingParams
) -> CorporateActions | None:
    """``actions`` when one of them can meet a position (else None: the usual paths, bit
    for bit)."""
    if actions is None or not actions.acts:
        return None
    if len(actions.split) != len(bars) or len(actions.dividend) != len(bars):
        raise ValueError(f"corporate actions must cover the {len(bars)} bars")
    return actions


def _events(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    params: TradingParams,
    position_exits: Sequence[PositionExit | None] | None = None,
    sizes: Sequence[Sizer] | None = None,
    actions: CorporateActions | None = None,
):
    """Fills of N runs with market entries: walked by the broker's compiled step when they
    walk bars (stops, a borrow fee, scaling, a liquidity field, a position-aware exit, a
    size series, corporate actions), else vectorised (``engine._simulate.fill_events``)."""
    walked = params.walks_bars or params.stepped_as_units
    if walked or position_exits is not None or actions is not None:
        from engine import _scaling  # the step loads only for a walked run (a Job's imports)

        _one_per_run(entries, position_exits, sizes)
        ohlc = (bars.open, bars.high, bars.low, bars.close)
        if _as_units(params, actions):  # units (docs/execution.md, "Scaling in and out")
            volume = bars.volume if params.liquid else None
            scaled = _scaling.scale_events(
                entries, exits, ohlc, params, sizes, position_exits, actions, volume=volume
            )
            return scaled[0]
        walk = (sizes, position_exits)
        return _scaling.stepped_events(entries, exits, ohlc, params, None, *walk)[0]
    if sizes is not None:
        raise ValueError("a size series goes with params.size_unit, and only with it")
    entries, exits = _unwalked(entries, exits, params)
    runs, fill_bars, sides = _simulate.transitions(entries, exits, params.direction)
    return _simulate.fill_events(entries.shape[0], runs, fill_bars, sides, bars.open, params)


def _unwalked(entries: np.ndarray, exits: np.ndarray, params: TradingParams) -> tuple:
    """The signals of runs that walk no stop (the vectorised path, the one-pass kernel),
    with ``exit_priority`` their conflicting bars resolved
    (``engine._simulate.resolve_conflicts``); the walks resolve them bar by bar."""
    if not params.exit_priority:
        return entries, exits
    return _simulate.resolve_conflicts(entries, exits, params.direction)


def _block(events, first: int, last: int, bars: Bars, params: TradingParams):
    """Paths and core metrics of runs ``first:last``."""
    end_close = None
    if params.close_at_end and len(bars) and not params.liquid:  # the step closed it then
        end_close = (float(bars.open[-1]), Costs.of(params))
    state_paths = _simulate.paths(
        events, first, last, bars.close, params.initial_capital, end_close
    )
    counts = _simulate.trade_counts(events, first, last, state_paths.bust_bar)
    return state_paths, core_metrics(
        state_paths.equity, params.initial_capital, counts, params.annual_bars
    )


def run(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    params: TradingParams | None = None,
    *,
    limit: np.ndarray | None = None,
    stop: np.ndarray | None = None,
    position_exit: PositionExit | None = None,
    size: Sizer | None = None,
    actions: CorporateActions | None = None,
) -> EngineResult:
    """Backtest one signal pair over ``bars``.

    >>> import numpy as np
    >>> bars = Bars(np.arange(4).astype("datetime64[D]"), [10, 10, 12, 12], [10, 10, 12, 12],
    ...             [10, 10, 12, 12], [10, 11, 12, 13], [1, 1, 1, 1])
    >>> res = run(bars, [True, False, False, False], [False, False, True, False],
    ...           TradingParams(fee_rate=0.0, position_size=1000))
    >>> [(t.entry_bar, t.exit_bar, t.size, t.pnl) for t in res.trades]
    [(1, 3, 100, 200.0)]

    With an entry order (``params.entry_type`` other than market), ``limit`` and ``stop``
    are the order prices each bar's signal would use (T floats; docs/execution.md, "Entry
    orders") and the result holds the orders.

    ``position_exit`` (``engine._simulate.PositionExit``): the exit while a long is open,
    evaluated on each close from its fill bar and entry price; ``exits`` then hold the exit
    outside a long (docs/execution.md, "Position-aware exits"). The run is walked by the
    broker's step.

    ``size`` (``engine._simulate.Sizer``, with ``params.size_unit``): the size of each
    position, read on its signal bar's close with the equity then (docs/execution.md,
    "Position size as an expression"); with an entry order, applied when it fills.

    ``actions`` (``engine.corporate.CorporateActions``): the splits, dividends and delisting
    acting on the position (docs/execution.md, "Corporate actions on a position"); the
    result then lists those that met it (``EngineResult.applied``).

    With ``params.max_entries`` above 1, or ``params.exit_fraction`` or
    ``params.take_profit_fraction`` below 1, the long is built of units, each its own trade
    with its own stops, size and corporate actions (docs/execution.md, "Scaling in and
    out"), and a ``position_exit`` reads the whole long.
    """
    params = params or TradingParams()
    entries, exits = _as_signals(bars, entries, exits, ndim=1)
    actions = acting_actions(actions, bars, params)
    held = None if position_exit is None else [position_exit]
    sizes = None if size is None else [size]
    orders = None
    if params.has_orders:
        events, orders = _order_events(
            bars, entries[None], exits[None], params, limit, stop, held, sizes, actions
        )
    else:
        events = _events(bars, entries[None], exits[None], params, held, sizes, actions)
    state_paths, metrics = _block(events, 0, 1, bars, params)
    bust = int(state_paths.bust_bar[0])
    if orders is not None and bust >= 0:
        orders = placed_until(orders, bust)
    return EngineResult(
        cash=state_paths.cash[0],
        position=state_paths.position[0],
        equity=state_paths.equity[0],
        trades=trade_table(events, bust, bars, params),
        metrics={name: _scalar(values[0]) for name, values in metrics.items()},
        bust_bar=bust if bust >= 0 else None,
        orders=orders,
        applied=None if events.applied is None else events.applied.of_run(0, _last(bust)),
        entered=_entered(events, params),
    )


def _entered(events, params: TradingParams) -> tuple[float, float] | None:
    """Run 0's (shares its entries were sized for, shares filled) with a liquidity field
    (``engine._simulate.Events.entered``); None without one."""
    if not params.liquid or events.entered is None:
        return None
    ordered, filled = events.entered[0]
    return float(ordered), float(filled)


def _last(bust: int) -> int | None:
    """The last bar whose events happened: the bust bar, or None (every bar)."""
    return bust if bust >= 0 else None


def run_batch(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    params: TradingParams | None = None,
    *,
    keep_equity: bool = False,
    one_pass: bool = False,
    block_edges: np.ndarray | None = None,
    into: tuple[np.ndarray, np.ndarray] | None = None,
    work: int | None = None,
    limit: np.ndarray | None = None,
    stop: np.ndarray | None = None,
    position_exits: Sequence[PositionExit | None] | None = None,
    sizes: Sequence[Sizer] | None = None,
    actions: CorporateActions | None = None,
) -> BatchResult:
    """Backtest N signal pairs (rows of ``entries``/``exits``, N × T) over the same bars.

    Fills are walked for all N runs at once; paths and metrics are then built in blocks of
    ``BATCH_ROWS`` runs (cache-sized). Returns the core metrics per row; equity (N × T) only
    with ``keep_equity``.

    ``one_pass`` (no stops): each run in one compiled pass over its bars instead
    (``engine._kernel.evaluate_runs``, the same numbers bit for bit), which also fills
    ``BatchResult.curve`` and, with ``block_edges`` (S + 1 bounds over the T - 1 bar
    returns), ``BatchResult.block_stats``; with ``keep_equity`` the pass writes each run's
    equity and bar returns as it goes (``BatchResult.equity`` and ``returns``): into new
    arrays, or into the first N rows of ``into`` (equity, returns: ≥ N × T and
    ≥ N × max(T - 1, 1) float64, C order), which a sweep's blocks reuse.

    With entry orders (``params.entry_type`` other than market; not with ``one_pass``):
    ``limit`` and ``stop`` are the order prices (T, or N × T: a row per run). Runs with
    entry orders, stops or a borrow fee are walked by the broker's compiled step
    (``engine.broker.step``, a single position as one unit); when ``reduced_in_step``,
    in its pass (``engine.broker.curves``), which fills ``curve``, ``block_stats`` and the
    kept curves (``keep_equity``, ``into``) as the one pass does. ``work`` (by default
    N × T): the bar-updates on which a compiled pass decides to run over the cores (a
    sweep's chunk passes its whole work for each block).

    ``position_exits`` (one ``engine._simulate.PositionExit`` or None per run, as ``run``'s
    ``position_exit``): the runs are walked by the broker's step (not with ``one_pass``);
    so are runs with ``sizes`` (one ``engine._simulate.Sizer`` per run, with
    ``params.size_unit``).

    With ``actions`` that can meet a position (as ``run``; not with ``one_pass``) every run
    is walked by the step with its unit table, as ``run`` walks it.

    Runs that scale in or out (``params.scales``) go through the broker's compiled step
    (``engine.broker.step``), with any feature.
    """
    params = params or TradingParams()
    entries, exits = _as_signals(bars, entries, exits, ndim=2)
    actions = acting_actions(actions, bars, params)
    if actions is not None and one_pass:
        raise ValueError("one_pass takes no corporate actions")
    if position_exits is not None and one_pass:
        raise ValueError("one_pass takes no position exits")
    if params.has_orders and one_pass:
        raise ValueError("one_pass takes no entry orders")
    work = entries.size if work is None else work
    if not one_pass and _curves(bars, params, position_exits, sizes, actions):
        parallel = compiled.pays(work, compiled.MIN_BAR_UPDATES)
        kept = _kept(len(entries), len(bars), keep_equity, into)
        prices = (limit, stop)
        return stepped_batch(bars, entries, exits, params, prices, block_edges, kept, parallel)
    if one_pass:
        if params.has_stops or params.size_unit is not None or params.stepped_as_units:
            raise ValueError("one_pass takes no stops, size series, scaling nor liquidity")
        kept = _kept(len(entries), len(bars), keep_equity, into)
        return _one_pass(bars, entries, exits, params, block_edges, kept)
    n_runs = entries.shape[0]
    if params.has_orders:
        events, _ = _order_events(
            bars, entries, exits, params, limit, stop, position_exits, sizes, actions
        )
    else:
        events = _events(bars, entries, exits, params, position_exits, sizes, actions)
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


def _curves(bars: Bars, params: TradingParams, position_exits, sizes, actions) -> bool:
    """Whether a batch is reduced in the broker's step (``engine.broker.curves``): walked
    runs (stops, a borrow fee, entry orders, scaling in or out) without a size series, a
    position-aware exit or corporate actions, T >= 3 (the curve reduction's domain) and
    finite prices."""
    walked = params.walks_bars or params.has_orders or params.stepped_as_units
    plain = position_exits is None and sizes is None and actions is None and not params.size_unit
    return (
        walked
        and plain
        and len(bars) >= 3
        and all(np.isfinite(col).all() for col in (bars.open, bars.high, bars.low, bars.close))
    )


def reduced_in_step(
    bars: Bars,
    params: TradingParams,
    *,
    position_exits: Sequence[PositionExit | None] | None = None,
    sizes: Sequence[Sizer] | None = None,
    actions: CorporateActions | None = None,
) -> bool:
    """Whether ``run_batch`` (without ``one_pass``) of these runs reduces them in the broker's
    step pass (``engine.broker.curves``): its ``BatchResult`` then has ``curve`` and, with
    ``block_edges``, ``block_stats``, as the one pass's has, and its equity only when kept."""
    actions = acting_actions(actions, bars, params)
    return _curves(bars, params, position_exits, sizes, actions)


def stepped_batch(
    bars: Bars,
    entries,
    exits,
    params: TradingParams,
    prices,
    block_edges: np.ndarray | None,
    kept: tuple[np.ndarray, np.ndarray],
    parallel: bool,
    entered: np.ndarray | None = None,
    crossing: tuple | None = None,
    shared: tuple | None = None,
) -> BatchResult:
    """``run_batch`` of walked runs through ``engine.broker.curves.evaluate``: each
    curve reduced in the pass as the one pass reduces it (``_finished``: the core metrics,
    ``curve`` and, with ``block_edges``, ``block_stats``; the equity and bar returns written
    into ``kept``), the rows over the cores when ``parallel`` (the work pays for it, as for
    the one pass). ``entered`` (N × 2): each run's shares its entries were sized for and
    filled written there (``EngineResult.entered``). ``crossing`` (``run_crossings``' lines,
    line, other and offset): the runs' signals, in place of ``entries`` and ``exits``.
    ``shared``: ``pass_arguments`` of these inputs made already (the same runs at another
    capital: ``engine.capacity``)."""
    from engine import _scaling
    from engine.broker import curves

    if shared is None:
        signals = (entries, exits) if crossing is None else crossing
        shared = pass_arguments(bars, params, signals, prices, block_edges)
    signals_and_bars, edges, liquidity = shared
    costs, setup, fractions = _scaling.step_inputs(params)
    out = curves.evaluate(
        *signals_and_bars,
        costs,
        fractions,
        setup,
        edges,
        *kept,  # the returns T - 1 wide: the pass takes T >= 3
        liquidity,
        np.zeros((0, 2)) if entered is None else entered,
        parallel=parallel,
    )
    return _finished(compiled.kernels(), out, bars, params, block_edges, kept)


def pass_arguments(bars: Bars, params: TradingParams, signals: tuple, prices, block_edges) -> tuple:
    """The arguments of ``stepped_batch``'s pass that its runs' capital does not change:
    (their signals, entry-order prices and bars as ``engine.broker.curves.evaluate`` takes
    them, the block edges, the liquidity series). ``signals``: (entries, exits), or
    ``run_crossings``' (lines, line, other, offset)."""
    from engine import _scaling

    limit, stop = prices
    crossing = signals if len(signals) == 4 else None
    n_runs = len(signals[0]) if crossing is None else len(crossing[1])

    def rows(prices: np.ndarray | None) -> np.ndarray:
        if prices is None or not params.has_orders:
            return np.full((1, len(bars)), np.nan)
        prices = np.asarray(prices, dtype=np.float64)
        return compiled.kernel_array(prices if prices.ndim == 2 else prices[None])

    limits, stops_at = rows(limit), rows(stop)
    if limits.shape[0] != stops_at.shape[0]:  # one of them per run, the other shared
        limits, stops_at = (
            np.ascontiguousarray(np.broadcast_to(a, (n_runs, len(bars))))
            for a in (limits, stops_at)
        )
    price_row = np.arange(n_runs) if limits.shape[0] > 1 else np.zeros(n_runs, dtype=np.int64)
    if crossing is None:
        no_line = np.empty(0, dtype=np.int64)
        signals = (
            compiled.kernel_array(signals[0], np.bool_),
            compiled.kernel_array(signals[1], np.bool_),
            np.empty((0, 0)),
            no_line,
            no_line,
            0,
        )
    else:
        no_signals = np.empty((0, len(bars)), dtype=np.bool_)
        signals = (no_signals, no_signals, *crossing)
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    volume = bars.volume if params.liquid else None
    liquidity = _scaling.liquidity_series(params, ohlc, volume)
    open_, close, seconds, day, _, _, edges = _pass_inputs(bars, params, block_edges)
    high, low = (compiled.kernel_array(c) for c in (bars.high, bars.low))
    bars_in = (open_, high, low, close, seconds, day)
    return (*signals, limits, stops_at, price_row, *bars_in), edges, liquidity


def _one_pass(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    params: TradingParams,
    block_edges: np.ndarray | None,
    kept: tuple[np.ndarray, np.ndarray],
) -> BatchResult:
    """``run_batch`` with ``one_pass``: the compiled kernel's reductions, finished as the
    numpy path finishes its own (``finish_core``); the curves written to ``kept``."""
    kernel = compiled.kernels()
    entries, exits = _unwalked(entries, exits, params)
    out = kernel.evaluate_runs(
        np.ascontiguousarray(entries),
        np.ascontiguousarray(exits),
        np.empty((0, 0)),
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype=np.int64),
        0,
        *kept,
        *_pass_inputs(bars, params, block_edges),
    )
    return _finished(kernel, out, bars, params, block_edges, kept)


def run_crossings(
    bars: Bars,
    lines: np.ndarray,
    line: np.ndarray,
    other: np.ndarray,
    offset: int,
    params: TradingParams | None = None,
    *,
    block_edges: np.ndarray | None = None,
    keep_equity: bool = False,
    into: tuple[np.ndarray, np.ndarray] | None = None,
    prices: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
    work: int | None = None,
) -> BatchResult:
    """``run_batch(one_pass=True)`` for N runs whose signals are crossings of two lines:
    run i enters where ``lines[line[i]]`` crosses above ``lines[other[i]]`` and exits where
    it crosses below (``rules.signals.cross_above``/``cross_below``). ``lines`` (K × H) cover
    the signal history, ``bars`` being its indices ``offset`` to ``offset + T - 1``. The
    same numbers as ``run_batch`` on those crossings, bit for bit, without N × T signals
    (and, with ``keep_equity``, the same equity and bar returns, ``into`` as there).

    Walked runs (stops, a borrow fee, entry orders with ``prices``: the limit and stop
    series, T each; scaling, a liquidity field) go through the broker step's pass
    (``stepped_batch``, as ``run_batch`` reduces them when ``reduced_in_step``; ``work``,
    by default N × T, decides whether it runs over the cores), the crossings read there:
    no size series, on finite prices of at least 3 bars.
    """
    params = params or TradingParams()
    lines = np.ascontiguousarray(lines, dtype=np.float64)
    if lines.ndim != 2 or offset < 0 or lines.shape[1] < offset + len(bars):
        raise ValueError(f"lines must be K × H with H >= offset + {len(bars)}")
    line = np.ascontiguousarray(line, dtype=np.int64)
    other = np.ascontiguousarray(other, dtype=np.int64)
    kept = _kept(len(line), len(bars), keep_equity, into)
    if params.walks_bars or params.has_orders or params.stepped_as_units:
        work = len(line) * len(bars) if work is None else work
        if params.size_unit is not None or not _curves(bars, params, None, None, None):
            raise ValueError("walked crossings go through the step's pass (finite prices, T >= 3)")
        parallel = compiled.pays(work, compiled.MIN_BAR_UPDATES)
        crossing = (lines, line, other, int(offset))
        args = (params, prices, block_edges, kept, parallel)
        return stepped_batch(bars, None, None, *args, crossing=crossing)
    if params.has_stops or params.size_unit is not None:
        raise ValueError("run_crossings takes no stops nor size series")
    kernel = compiled.kernels()
    no_signals = np.empty((0, len(bars)), dtype=bool)
    out = kernel.evaluate_runs(
        no_signals,
        no_signals,
        lines,
        line,
        other,
        int(offset),
        *kept,
        *_pass_inputs(bars, params, block_edges),
    )
    return _finished(kernel, out, bars, params, block_edges, kept)


_DAY_SECONDS = 86_400.0


def _pass_inputs(bars: Bars, params: TradingParams, block_edges: np.ndarray | None) -> tuple:
    """The bars and trading parameters as the one-pass kernels take them.

    :raise ValueError: a price not finite (the numpy path carries a NaN through its
        running peak; the kernel's once-per-peak drawdown does not).
    """
    if not (np.isfinite(bars.open).all() and np.isfinite(bars.close).all()):
        raise ValueError("the one-pass evaluation needs finite open and close prices")
    edges = np.zeros(1, dtype=np.int64) if block_edges is None else block_edges
    return (
        compiled.kernel_array(bars.open),
        compiled.kernel_array(bars.close),
        np.ascontiguousarray(bars.timestamps.astype("datetime64[s]").view(np.int64)),
        _DAY_SECONDS,
        Costs.of(params).as_array(),
        params.direction == "longonly",
        np.ascontiguousarray(edges, dtype=np.int64),
    )


def _kept(
    n_runs: int, n_bars: int, keep: bool, into: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Where a one pass writes the equity and bar returns it keeps: arrays of 0 rows (none
    kept) unless ``keep``, else the first ``n_runs`` rows of ``into`` or new arrays.

    :raise ValueError: ``into`` too small, of another width, type or order.
    """
    width = max(n_bars - 1, 1)
    if not keep:
        return np.empty((0, n_bars)), np.empty((0, width))
    if into is None:
        return np.empty((n_runs, n_bars)), np.empty((n_runs, width))
    equity, returns = into
    for array, columns in ((equity, n_bars), (returns, width)):
        fits = array.ndim == 2 and array.shape[0] >= n_runs and array.shape[1] == columns
        if not (fits and array.dtype == np.float64 and array.flags.c_contiguous):
            raise ValueError(f"into must hold >= {n_runs} × {columns} float64 rows, C order")
    return equity[:n_runs], returns[:n_runs]


def _finished(
    kernel, out: tuple, bars: Bars, params: TradingParams, block_edges, kept: tuple
) -> BatchResult:
    """A one-pass kernel's outputs (N × ``N_STATS`` reductions, block statistics) and the
    curves it ``kept`` (``_kept``) as a ``BatchResult``."""
    stats, blocks = out
    equity, returns = kept if kept[0].shape[0] == stats.shape[0] > 0 else (None, None)
    n_bars = len(bars)
    mean, std = stats[:, kernel.MEAN], stats[:, kernel.STD]
    metrics = finish_core(
        stats[:, kernel.FINAL],
        mean if n_bars >= 3 else None,
        std if n_bars >= 3 else None,
        stats[:, kernel.DRAWDOWN],
        stats[:, kernel.TRADES],
        params.initial_capital,
        params.annual_bars,
    )
    columns = (
        kernel.START,
        kernel.FINAL,
        kernel.MEAN,
        kernel.STD,
        kernel.DOWNSIDE,
        kernel.DRAWDOWN_DAYS,
    )
    curve = {name: stats[:, c].copy() for name, c in zip(CURVE_STATS, columns, strict=True)}
    return BatchResult(
        metrics=metrics,
        equity=equity,
        curve=curve,
        block_stats=blocks if block_edges is not None else None,
        returns=None if returns is None else returns[:, : n_bars - 1],
    )


def _scalar(value: np.generic) -> float | int | None:
    if isinstance(value, np.integer):
        return int(value)
    value = float(value)
    return None if math.isnan(value) else value
