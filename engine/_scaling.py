"""Scaling in and out: a position built of units (pyramiding) and closed in parts, through
the broker's compiled step (``engine.broker.step``), and each run's units as its trades.

docs/execution.md, "Scaling in and out": long with k < ``max_entries`` units, every bar whose
entry signal holds adds a unit at the next open, sized as the first from the cash then; an
exit signal sells max(1, round(n × ``exit_fraction``)) shares of each open unit of n shares
(backtesting.py's ``position.close(portion)``), each sale its own order. Each unit has its
own stops from its own fill price, its own size (a size series read on its signal bar) and
its own corporate actions; a position-aware exit reads the whole long (its units'
share-weighted entry). The step walks the runs compiled (``step.walk_acting``); a run with
a size series or a position-aware exit is walked by ``step.walk_run``: one that carries a
program (``engine.broker.program``) is evaluated inside it, bar by bar, compiled; for a
Python callable without one it returns here (a unit's size on its signal bar, the exit of a
long from the close it opens or its entry changes), so that costs a call per unit, not per
bar. The walk returns ``engine._simulate.Events`` (a fill row per order group:
``shares`` is the whole position after it) and each run's units as a unit table.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable, Sequence

import numpy as np

from engine import _simulate as sim
from engine import compiled, param_specs
from engine.broker.costs import Costs
from engine.broker.impact import MODELS
from engine.broker.orders import ORDER_FIELDS, Orders, order_code
from engine.broker.program import ExitProgram, Program, SizeProgram
from engine.broker.stops import Stops
from engine.compiled import kernel_array
from engine.corporate import Applied, CorporateActions
from engine.params import TradingParams
from engine.result import EXIT_REASONS, Trades

FIRST_STRETCH = 16
"""Bars of a position-aware exit read at once when it cannot say more (then 32, 64, …)."""

BOOK_BYTES = 64 << 20
"""The largest book (``engine.broker.step``'s tables) a thread keeps between walks."""

_books = threading.local()
"""Each thread's book kept between walks (``_book``, ``_keep``)."""


def _book(max_entries: int, liquidity: tuple) -> tuple:
    """A book for a walk (``engine.broker.step.new_state``'s, reading ``liquidity``): the
    one this thread kept from its last walk, reset, whose tables already have the room
    its earlier runs took — a run of a warm worker then neither grows its tables nor
    touches memory the kernel has to zero for it, which at 100,000 bars cost as much as
    the walk — else a new one. Taken out of the thread's keeping until ``_keep``."""
    from engine.broker import step

    kept = getattr(_books, "state", None)
    _books.state = None
    if kept is None:
        return step.with_liquidity(step.new_state(max_entries, 64), liquidity)
    return step.reset(kept, max_entries, liquidity)


def _keep(state: tuple) -> None:
    """Keep ``state``'s tables for this thread's next walk (``_book``) once every output
    read from them is copied, unless they are larger than ``BOOK_BYTES``."""
    if sum(table.nbytes for table in state[3:7]) <= BOOK_BYTES:
        _books.state = state


def scale_events(
    entries: np.ndarray,
    exits: np.ndarray,
    ohlc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    params: TradingParams,
    sizes: Sequence[sim.Sizer] | None = None,
    position_exits: Sequence[sim.PositionExit | None] | None = None,
    actions: CorporateActions | None = None,
    order_prices: tuple[np.ndarray, np.ndarray] | None = None,
    volume: np.ndarray | None = None,
) -> tuple[sim.Events, Orders | None]:
    """The fills of N runs with ``params.max_entries``, ``params.exit_fraction`` and
    ``params.take_profit_fraction`` over the bars' (open, high, low, close); their ``units``
    hold, per run, its unit table in the order of its trades (``_unit_table``). ``sizes[i]``
    (``engine._simulate.Sizer``, with ``params.size_unit``): run i's size series, read on
    each signal bar that adds a unit. ``position_exits[i]`` (``engine._simulate.
    PositionExit``, or None): run i's exit while its long is open, in place of its row of
    ``exits``, told of the long's first fill and of each change of its units' average
    entry price (``reprice``). ``actions`` (``engine.corporate.CorporateActions``): the
    splits, dividends and delisting acting on every unit; the cash and shares at every close
    are kept then (``Events.cash_path``, ``Events.position_path``) with the events that met
    a long (``Events.applied``). ``order_prices`` (the ``limit`` and ``stop`` series, N ×
    T, of ``params.entry_type``): each unit is opened by an entry order
    (``engine.broker.orders``), and the orders are returned too (else None). ``volume`` (T, with a
    liquidity field: ``params.liquid``): the bars' volume the fills are limited by and
    priced with (docs/execution.md, "Liquidity"); the orders then have the shares each
    was sized for and filled."""
    keep = actions is not None or bool(Costs.of(params).borrow)
    liquidity = liquidity_series(params, ohlc, volume, lazy=_few_fills(entries, exits, params))
    out = _walked(
        entries, exits, ohlc, params, sizes, position_exits, actions, order_prices, keep,
        liquidity=liquidity,
    )  # fmt: skip
    events = _events_of(out, keep, actions is not None, entries.shape)
    if params.liquid:  # the shares its entries were sized for and filled (a capacity curve)
        events = dataclasses.replace(events, entered=out[9])
    rate = Costs.of(params).borrow
    if rate and not params.scales:  # single positions: their trades' borrow from these
        events = dataclasses.replace(events, borrow=_held_charges(out, events, ohlc[3], rate))
    return events, (None if order_prices is None else _orders_of(out[4], out[5], params.liquid))


def _held_charges(out: tuple, events: sim.Events, close: np.ndarray, rate: float) -> np.ndarray:
    """The borrow fee charged at each close (N × T) of single-position runs walked as units
    (``_charges`` of their shares at every close); at the last close the shares held there,
    before ``close_at_end`` sold them (``step.finish``: the path has the shares after)."""
    assert events.units is not None and events.position_path is not None
    held = events.position_path.copy()
    for i, units in enumerate(events.units):
        sold = units[units[:, REASON] == EXIT_REASONS.index("closed_at_end")]
        if held.shape[1] and sold.size:
            held[i, -1] += float((sold[:, SIDE] * sold[:, SIZE]).sum())
    where = (events.run, events.bar, events.reason)
    return _charges(held, *where, out[0], close, rate)


LAZY_SPAN = 2
"""A walk computes its bars' liquidity where it fills (``engine.broker.liquid.series``,
``lazy``) when its runs' signals × (``impact_window`` + 8) are at most ``LAZY_SPAN`` × its
bars: one bar's volatility and ADV cost about (window + 8) × 5 ns, the rows 7 ns a bar
(docs/benchmarks.md, "Liquidity"), and a run fills on about one bar per signal (an entry
and its remainder, an exit's sale, a stop; half a bar in bench/liquidity_bench.py)."""


def _few_fills(entries: np.ndarray, exits: np.ndarray, params: TradingParams) -> bool:
    """Whether the runs of ``entries`` and ``exits`` (N × T) fill on few enough bars that
    their liquidity is computed where they fill (``LAZY_SPAN``)."""
    if not params.liquid:
        return False
    window = params.impact_window + 8 if params.slippage_model == "square_root" else 0
    signals = np.count_nonzero(entries) + np.count_nonzero(exits)
    return signals * window <= LAZY_SPAN * entries.shape[-1]


def liquidity_series(
    params: TradingParams, ohlc: tuple, volume: np.ndarray | None, lazy: bool = False
) -> tuple:
    """The step's liquidity of a run (``engine.broker.liquid.series``: its rows, or with
    ``lazy`` the arrays the step computes a bar's values from where it fills; empty without
    a liquidity field)."""
    from engine.broker import liquid, step  # the walk's step: numba loaded, windows compiled

    if not params.liquid:
        return step.no_liquidity()
    if volume is None or len(volume) != len(ohlc[3]):
        raise ValueError("a liquidity field needs the bars' volume")

    return liquid.series(params, ohlc[1], ohlc[2], ohlc[3], volume, lazy)


def _walked(
    entries: np.ndarray,
    exits: np.ndarray,
    ohlc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    params: TradingParams,
    sizes: Sequence[sim.Sizer] | None,
    position_exits: Sequence[sim.PositionExit | None] | None,
    actions: CorporateActions | None,
    order_prices: tuple[np.ndarray, np.ndarray] | None,
    keep: bool,
    close_at_end: bool = True,
    liquidity: tuple | None = None,
) -> tuple:
    """N runs through the broker's step (``step.walk_acting``, or ``_called`` for a size
    series or a position-aware exit): ``walk_acting``'s outputs, the cash and shares at
    every close kept when ``keep``; the close at the end left to the caller unless
    ``close_at_end``."""
    if (sizes is None) != (params.size_unit is None):
        raise ValueError("a size series goes with params.size_unit, and only with it")
    from engine.broker import step

    costs_array, setup, fractions = step_inputs(params)
    if not close_at_end:
        setup[step.CLOSE_AT_END] = 0
    limits, stop_prices = _order_series(order_prices, entries.shape)
    bars = tuple(kernel_array(c) for c in ohlc)
    none = np.empty(0)
    liquid = step.no_liquidity() if liquidity is None else liquidity
    events_in = (none, none, math.nan, liquid)
    if actions is not None:
        delisting = math.nan if actions.delisting is None else float(actions.delisting)
        events_in = (
            kernel_array(actions.split),
            kernel_array(actions.dividend),
            delisting,
            liquid,
        )
    signals = (
        kernel_array(entries, np.bool_),
        kernel_array(exits, np.bool_),
        limits,
        stop_prices,
    )
    inputs = (bars, events_in, costs_array, fractions, setup)
    called = sizes is not None or (
        position_exits is not None and any(e is not None for e in position_exits)
    )
    if called:
        return _called(signals, inputs, keep, sizes, position_exits)
    out, state = step.walk_on(_book(int(setup[step.MAX_ENTRIES]), liquid), *signals, *inputs, keep)
    return _copied(out, state)


def _copied(out: tuple, state: tuple) -> tuple:
    """``walk_on``'s outputs, the book ``state`` kept for this thread's next walk
    (``_keep``): the tables in them are views of the book's, which every caller here reads
    into arrays of its own (``_fill_columns``, ``_events_of``, ``_orders_of``, ``_charges``)
    before it walks again."""
    _keep(state)
    return out


def _called(
    signals: tuple,
    inputs: tuple,
    keep: bool,
    sizes: Sequence[sim.Sizer] | None,
    position_exits: Sequence[sim.PositionExit | None] | None,
) -> tuple:
    """``engine.broker.step.walk_acting``'s outputs for runs with a size series or a
    position-aware exit: each run walked by ``step.walk_run``, given the programs they
    carry (``programs_of``), and for a callable without one returning here for what it
    gives (``step.SIZE``, ``step.EXIT_NEW`` …) and resuming."""
    from engine.broker import step

    bars, events_in, costs_array, fractions, setup = inputs
    entries = signals[0]
    n_runs, n_bars = entries.shape
    state = _book(int(setup[step.MAX_ENTRIES]), events_in[3])
    counts = np.zeros((3, n_runs), dtype=np.int64)
    shares = np.zeros((n_runs, 2))
    kept = n_runs if keep else 0
    cash_path, shares_path = np.empty((kept, n_bars)), np.empty((kept, n_bars))
    no_row = np.empty(0, dtype=np.bool_)
    for i in range(n_runs):
        fs, ns = state[0], state[1]
        before = (ns[step.N_ROWS], ns[step.N_DONE], ns[step.N_ORDERS])
        step.start_run(state, float(costs_array[0]))
        paths = (cash_path[i], shares_path[i]) if keep else (np.empty(0), np.empty(0))
        run_signals = tuple(column[i] for column in signals)
        exit_of = None if position_exits is None else position_exits[i]
        sizer = None if sizes is None else sizes[i]
        programs, size_program, exit_program = programs_of(sizer, exit_of, n_bars)
        held = None if exit_of is None or exit_program else _HeldExit(exit_of, n_bars)
        row = no_row if held is None else held.row
        bar, need = 0, step.ROOM
        walk, size_need, room, done = step.walk_run, step.SIZE, step.ROOM, step.DONE
        while need != done:
            if need == room:
                state = step.make_room(state)
                fs, ns = state[0], state[1]
            elif need == size_need:
                assert sizer is not None and not size_program
                fs[step.SIZE_NOW] = sizer(bar, float(fs[step.SIZE_EQUITY]))
                ns[step.SIZE_BAR] = bar
            else:
                assert held is not None
                held.answer(need, bar, state)
            bar, need = walk(
                state, i, np.int64(bar), run_signals, bars, events_in, row, costs_array, fractions,
                setup, paths, programs,
            )  # fmt: skip
        state = step.end_run(state, i, bars[0], costs_array, fractions, setup, paths)
        ns = state[1]
        counts[:, i] = (ns[step.N_ROWS], ns[step.N_DONE], ns[step.N_ORDERS])
        counts[:, i] -= before
        shares[i] = step.entered(state)
    ns = state[1]
    out = (
        state[4][: ns[step.N_ROWS]],
        counts[0],
        state[3][: ns[step.N_DONE]],
        counts[1],
        state[5][: ns[step.N_ORDERS]],
        counts[2],
        cash_path,
        shares_path,
        state[6][: ns[step.N_APPLIED]],
        shares,
    )
    return _copied(out, state)


def programs_of(sizer: object, exit_of: object, n_bars: int) -> tuple[tuple, bool, bool]:
    """(``step.walk_run``'s ``programs``, whether the size is a program, whether the exit
    is one) of a run's size series and position-aware exit: the program each carries
    (``program_in``) when it covers the run's ``n_bars`` bars; else the step calls it."""
    from engine.broker import step

    size = program_in(sizer, SizeProgram, n_bars)
    held = program_in(exit_of, ExitProgram, n_bars)
    if size is None and held is None:
        return step.no_programs(), False, False
    none = step.no_programs()[:4]  # a program's arrays, empty: the side not given
    size_part = none if size is None else (size.code, size.constants, size.leaves, size.scale)
    exit_part = none if held is None else (held.code, held.constants, held.leaves, held.close)
    parts = [kernel_array(a, a.dtype) for a in (*size_part, *exit_part)]
    return step.programs_of(*parts), size is not None, held is not None


def program_in(given: object, kind: type[Program], n_bars: int):
    """The program of ``kind`` a size series or position-aware exit is, or carries as its
    ``program`` (``rules.size_expr.SizeAt``, ``rules.expr.position.PositionExit``), when it
    covers ``n_bars`` bars (an exit's closes too); else None."""
    program = given if isinstance(given, kind) else getattr(given, "program", None)
    if not isinstance(program, kind) or not program.covers(n_bars):
        return None
    if isinstance(program, ExitProgram) and program.close.shape != (n_bars,):
        return None
    if isinstance(program, SizeProgram) and program.scale.size not in (0, n_bars):
        return None
    return program


class _HeldExit:
    """One run's position-aware exit as the step reads it: ``row`` holds the exit of the
    long held on the closes ``walk_run`` was told of (``ns[EXIT_HI]`` their end)."""

    def __init__(self, exit_of: sim.PositionExit, n_bars: int) -> None:
        self.exit_of = exit_of
        self.row = np.zeros(n_bars, dtype=np.bool_)
        self.exit_at: Callable[[int], bool] | None = None
        self.stretch = FIRST_STRETCH

    def answer(self, need: int, bar: int, state: tuple) -> None:
        """What ``walk_run`` asked for at ``bar`` (``step.EXIT_NEW``: the exit of the long
        opened, from its first unit's fill bar and entry; ``EXIT_REPRICE``: its units'
        average entry changed; ``EXIT_MORE``: the closes after those written), written."""
        from engine.broker import step

        fs, ns = state[0], state[1]
        entry = float(fs[step.EXIT_ENTRY])
        if need == step.EXIT_NEW:
            self.exit_at = self.exit_of(1.0, int(ns[step.EXIT_FROM]), entry)
            ns[step.EXIT_ON] = 1
            ns[step.EXIT_PRICED] = bool(getattr(self.exit_at, "reads_price", True))
            self.stretch = FIRST_STRETCH
        elif need == step.EXIT_REPRICE:
            assert self.exit_at is not None
            self.exit_at.reprice(bar, entry)  # type: ignore[attr-defined]
            self.stretch = FIRST_STRETCH
        assert self.exit_at is not None
        values = _stretch(self.exit_at, bar, min(self.stretch, self.row.size - bar))
        values = values[: self.row.size - bar]
        if not len(values):
            raise ValueError(f"a position-aware exit gave no value from bar {bar} on")
        self.stretch *= 2
        self.row[bar : bar + len(values)] = values
        ns[step.EXIT_HI] = bar + len(values)


def _stretch(exit_at: Callable[[int], bool], bar: int, n: int) -> np.ndarray | list[bool]:
    """The exit on the closes from ``bar``: what the exit holds evaluated from there at once
    (``stretch``: ``rules.expr.position``'s), else its value on the next ``n`` bars."""
    at_once = getattr(exit_at, "stretch", None)
    if at_once is not None:
        return at_once(bar)
    return [bool(exit_at(t)) for t in range(bar, bar + n)]


def _events_of(out: tuple, keep: bool, acting: bool, shape: tuple[int, int]) -> sim.Events:
    """``sim.Events`` of the step's outputs (``walk_acting``'s tuple) for N runs of T bars
    (``shape``), each run's units in trade order (``_unit_table``)."""
    rows, counts, units, unit_counts, _, _, cash, shares, log = out[:9]
    ends = np.cumsum(unit_counts)
    work = shape[0] * shape[1]
    table = _unit_table(units, unit_counts, shape[1] - 1, compiled.walked_kernels(work))
    applied = None
    if acting:
        applied = Applied()
        for r in log.tolist():
            applied.add(int(r[0]), int(r[1]), int(r[2]), *r[3:])
    return sim.Events(
        **_fill_columns(rows, counts, work),
        cash_path=cash if keep else None,
        position_path=shares if keep else None,
        applied=applied,
        units=[table[end - n : end] for n, end in zip(unit_counts, ends, strict=True)],
    )


def _unit_table(
    units: np.ndarray, unit_counts: np.ndarray, last: int, compiled_pays: bool
) -> np.ndarray:
    """The unit tables (``UNIT_COLUMNS``) of runs whose last bar is ``last``, one after the
    other, off the book (``_keep``): the step's ``units`` (``unit_counts`` rows a run), each
    run's rows in the order of its trades (``_trade_order``), so that ``unit_trades`` takes
    them as they are. Gathered in one compiled pass, each column contiguous, when
    ``compiled_pays`` (``_gathered``); else by numpy (the same values)."""
    from engine.broker import step

    runs = np.repeat(np.arange(unit_counts.size), unit_counts) if unit_counts.size > 1 else None
    order = _trade_order(units, last, runs, compiled_pays)
    kept = (*range(step.UNIT_BORROW + 1), step.DIVIDENDS, step.IN_LIEU)
    if compiled_pays:
        return _gathered(units, order, kept).T
    rows = units if order is None else units.take(order, axis=0)
    return rows[:, list(kept)]


def _fill_columns(rows: np.ndarray, counts: np.ndarray, work: int) -> dict[str, np.ndarray]:
    """``sim.Events``' fill fields of the step's fill table and each run's count, copied off
    the book (``_keep``): its float columns by ``_columns``, gathered in one compiled pass
    when the run kernels pay for runs of ``work`` bar-updates (``compiled.walked_kernels``,
    as their paths decide)."""
    from engine.broker import step

    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    floats = range(step.CLOSED, step.ROW_REASON)
    column = _columns(rows, None, floats, compiled.walked_kernels(work))
    return {
        "offsets": offsets,
        "run": rows[:, step.ROW_RUN].astype(np.int64),
        "bar": rows[:, step.ROW_BAR].astype(np.int64),
        "reason": rows[:, step.ROW_REASON].astype(np.int8),
        **{name: column(k) for name, k in zip(sim.EVENT_FIELDS, floats, strict=True)},
    }


def _columns(
    table: np.ndarray, order: np.ndarray | None, kept: Sequence[int], compiled_pays: bool
) -> Callable[[int], np.ndarray]:
    """Column k (one of ``kept``) of the step's ``table`` with its rows in ``order`` (None:
    as they are), a contiguous array of its own (off the book, ``_keep``): all of ``kept``
    gathered in one compiled pass (``engine._kernel.gather_rows``: the rows of one array)
    when ``compiled_pays``, else each copied by numpy when asked (the rows taken in order
    once). The same values either way."""
    if compiled_pays:
        gathered = _gathered(table, order, kept)
        at = {k: i for i, k in enumerate(kept)}
        return lambda k: gathered[at[k]]
    rows = table if order is None else table.take(order, axis=0)
    return lambda k: rows[:, k].copy()


def _gathered(table: np.ndarray, order: np.ndarray | None, kept: Sequence[int]) -> np.ndarray:
    """len(``kept``) × R: the columns ``kept`` of ``table`` with its rows in ``order`` (None:
    as they are), each contiguous, in one compiled pass (``engine._kernel.gather_rows``)."""
    rows = np.arange(table.shape[0]) if order is None else order
    return compiled.kernels().gather_rows(
        kernel_array(table), kernel_array(rows, np.int64), np.array(kept, dtype=np.int64)
    )


def _order_series(
    order_prices: tuple[np.ndarray | None, np.ndarray | None] | None, shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The entry orders' limit and stop series as the step reads them (N × T floats; a
    series not given, or none without entry orders, N × 0: NaN on every bar to the step,
    without an N × T array of NaN)."""
    if order_prices is None:
        order_prices = (None, None)
    return tuple(  # type: ignore[return-value]
        np.empty((shape[0], 0)) if a is None else kernel_array(a) for a in order_prices
    )


def _orders_of(book: np.ndarray, order_counts: np.ndarray, liquid: bool = False) -> Orders:
    """``Orders`` of the step's order table and each run's count; ``liquid``: with the
    shares each order was sized for and those filled (``Orders.ordered``, ``filled``)."""
    order_offsets = np.zeros(order_counts.size + 1, dtype=np.int64)
    np.cumsum(order_counts, out=order_offsets[1:])
    types = (np.int64, np.float64, np.float64, np.float64, np.int64, np.int8, np.int64, np.float64)
    quantities = {}
    if liquid:
        from engine.broker import step

        quantities = {
            "ordered": book[:, step.ORDERED].copy(),
            "filled": book[:, step.FILLED_QTY].copy(),
        }
    return Orders(
        offsets=order_offsets,
        **{
            name: book[:, k].astype(kind)
            for k, (name, kind) in enumerate(zip(ORDER_FIELDS, types, strict=True))
        },
        **quantities,
    )


def stepped_events(
    entries: np.ndarray,
    exits: np.ndarray,
    ohlc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    params: TradingParams,
    order_prices: tuple[np.ndarray, np.ndarray] | None,
    sizes: Sequence[sim.Sizer] | None = None,
    position_exits: Sequence[sim.PositionExit | None] | None = None,
) -> tuple[sim.Events, Orders | None]:
    """N single-position runs (``params.scales`` false) without corporate actions through
    the broker's compiled step, each one unit (``_walked``, ``scale_events``' walk): their
    fills, with their borrow charges per close (``Events.borrow``), and with entry orders
    (``order_prices``: the limit and stop series, N × T) their orders; the close at the end
    is left to ``engine._simulate.paths`` and the trade table, as for market fills. With corporate
    actions a single position goes through ``scale_events``, whose unit table has the trade
    a split closes (docs/execution.md, "Corporate actions on a position")."""
    if params.scales:
        raise ValueError("stepped_events walks single positions; scale_events walks units")
    costs = Costs.of(params)
    keep = bool(costs.borrow)
    walked = (sizes, position_exits, None, order_prices, keep, False)
    out = _walked(entries, exits, ohlc, params, *walked)
    rows, counts, _, _, book, order_counts, cash, shares = out[:8]
    fills = _fill_columns(rows, counts, entries.size)
    borrow = None
    if costs.borrow:
        where = (fills["run"], fills["bar"], fills["reason"])
        borrow = _charges(shares, *where, rows, ohlc[3], costs.borrow)
    events = sim.Events(**fills, cash_path=cash if keep else None, borrow=borrow)
    return events, None if order_prices is None else _orders_of(book, order_counts)


LIQUIDATION, DELISTED = EXIT_REASONS.index("liquidation"), EXIT_REASONS.index("delisted")


def _charges(shares, run, bar, reason, rows, close, rate: float) -> np.ndarray:
    """The borrow fee charged at each close (N × T) from the shares held at every close
    (``walk_runs``' path, after the bust bar's liquidation: the shares it closed were held
    at that close), as ``engine.broker.costs.borrow_charge`` computes it."""
    from engine.broker import step

    held = shares.copy()
    bust = (reason == LIQUIDATION) | (reason == DELISTED)
    held[run[bust], bar[bust]] = rows[bust, step.CLOSED]
    return np.where(held < 0.0, np.abs(held) * close * rate, 0.0)


def step_inputs(params: TradingParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``params`` as the broker's compiled step takes them (``engine.broker.step``): the
    costs (``Costs.as_array``), the setup (ints) and the fractions (floats)."""
    costs, stops = Costs.of(params), Stops.of(params)
    setup = np.array(
        [
            order_code(params.entry_type),
            params.valid_bars,
            params.max_entries,
            params.direction == "longshort",
            params.exit_priority,
            params.has_stops,
            costs.close_at_end,
            SIZE_UNITS.index(params.size_unit),
            params.liquid,
        ],
        dtype=np.int64,
    )
    fractions = np.array(
        [
            params.exit_fraction,
            params.take_profit_fraction,
            *(math.nan if v is None else v for v in (stops.loss, stops.profit, stops.trail)),
            costs.max_size,
            MODELS[params.slippage_model],
            params.price_impact,
            params.impact_k,
        ]
    )
    return costs.as_array(), setup, fractions


SIZE_UNITS = (None, *param_specs.SIZE_UNITS)
"""``TradingParams.size_unit`` by the step's code (``engine.broker.step.UNSIZED``,
``BY_FRACTION``, ``BY_SHARES``)."""


def unit_trades(
    table: np.ndarray,
    close: np.ndarray,
    params: TradingParams,
    events: bool = False,
    charges: np.ndarray | None = None,
) -> Trades:
    """The trade table of one run's units (a unit table, ``UNIT_COLUMNS``), by entry bar
    then exit bar (a unit still held last, marked at the last close with reason ``end``).
    With ``events`` (the run met corporate actions) each PnL includes the unit's dividends
    and cash in lieu, and the table has their ``dividends``. A unit's borrow fee is the one
    it kept; with ``charges`` (a single position's borrow fee at every close) a unit closed
    whole is a trade of that position and its fee the single position's
    (``engine.broker.costs.held_borrow``), a unit sold in parts keeps each part's share."""
    n = len(close) - 1
    last_close = float(close[n]) if n >= 0 else 0.0
    held = table[:, EXIT_BAR] < 0
    # the run kernels are loaded when this run's paths took them (``_simulate.paths``)
    loaded = compiled.kernels_loaded()
    order = _trade_order(table, n, compiled_key=loaded)
    if order is None:  # in trade order already (``_unit_table``'s): its columns as they are
        column = np.ascontiguousarray(table.T).__getitem__  # a copy only of a row-major table
    else:
        held = held[order]
        column = _columns(table, order, range(UNIT_COLUMNS), loaded)

    dividends = column(DIVIDENDS) if events else None
    borrow = column(UNIT_BORROW) if params.has_costs else None
    if order is None and charges is None and loaded:  # the same values, in one pass
        charged = borrow if params.borrows else None
        entry_bar, exit_bar, direction, size, exits, reason, pnl = _compiled_trades(
            column, last_close, n, dividends, charged
        )
    else:
        size, entry_price = column(SIZE), column(ENTRY_PRICE)
        exits = np.where(held, last_close, column(EXIT_PRICE))
        reason = np.where(held, EXIT_REASONS.index("end"), column(REASON)).astype(np.int8)
        side = column(SIDE)
        pnl = side * size * (exits - entry_price) - column(ENTRY_FEE) - column(EXIT_FEE)
        if dividends is not None:
            pnl = pnl + dividends + column(IN_LIEU)
        if borrow is not None:
            if charges is not None:
                entries, exit_bars = column(ENTRY_BAR), column(EXIT_BAR)
                borrow = _whole_borrow(entries, exit_bars, borrow, charges, n, held, reason)
            if params.borrows:
                pnl = pnl - borrow
        entry_bar = column(ENTRY_BAR).astype(np.int64)
        exit_bar = np.where(held, n, column(EXIT_BAR)).astype(np.int64)
        direction, size = side.astype(np.int64), size.astype(np.int64)
    return Trades(
        entry_bar=entry_bar,
        exit_bar=exit_bar,
        direction=direction,
        size=size,
        entry_price=column(ENTRY_PRICE),
        exit_price=exits,
        entry_fee=column(ENTRY_FEE),
        exit_fee=column(EXIT_FEE),
        pnl=pnl,
        reason=reason,
        borrow_fee=borrow,
        dividends=dividends,
    )


def _compiled_trades(
    column: Callable[[int], np.ndarray],
    last_close: float,
    last: int,
    dividends: np.ndarray | None,
    charged: np.ndarray | None,
) -> tuple[np.ndarray, ...]:
    """``unit_trades``' computed columns (entry bar, exit bar, direction, size, exit price,
    reason, PnL) of a table in trade order whose units pay no single position's borrow
    charges, from its columns (``column(k)``; ``dividends``: with corporate actions,
    ``charged``: the borrow fee the PnL pays) in one compiled pass
    (``engine._kernel.unit_trade_columns``): the same arrays as numpy's, bit for bit."""
    none = np.empty(0)
    added = (none, none) if dividends is None else (dividends, column(IN_LIEU))
    ends = (last, last_close, EXIT_REASONS.index("end"))
    return compiled.kernels().unit_trade_columns(
        *(column(k) for k in (ENTRY_BAR, EXIT_BAR, SIDE, SIZE, ENTRY_PRICE, EXIT_PRICE)),
        column(ENTRY_FEE), column(EXIT_FEE), column(REASON), added,
        none if charged is None else charged, ends,
    )  # fmt: skip


def _trade_order(
    table: np.ndarray, last: int, runs: np.ndarray | None = None, compiled_key: bool = False
) -> np.ndarray | None:
    """The order of ``table``'s units (its ``ENTRY_BAR`` and ``EXIT_BAR`` columns: a unit
    table's, or the step's, whose first ten are the same) by entry bar, then by exit bar (-1
    for one still held, which sorts as ``last`` + 1: after every one closed), ties in table
    order: ``np.lexsort``'s, as one stable sort of one key (entry × (``last`` + 2) + exit
    key: whole numbers below 2**53 for any run under 90 million bars, so exact in float64,
    and distinct exactly when the pairs are), cheaper than the lexsort's two passes; None
    when the rows are in that order already (the sort would keep them as they are).
    ``runs`` (each row's run, rows grouped by run): each run's rows in that order, the runs
    as they are. With ``compiled_key`` (the run kernels loaded) one run's key and whether it
    is in order come from one compiled pass over the rows (``engine._kernel.trade_key``)."""
    if compiled_key and runs is None:
        key, ordered = compiled.kernels().trade_key(table, ENTRY_BAR, EXIT_BAR, last)
        return None if ordered else np.argsort(key, kind="stable")
    entry_bar, exit_bar = table[:, ENTRY_BAR], table[:, EXIT_BAR]
    key = entry_bar * (last + 2) + np.where(exit_bar < 0, last + 1, exit_bar)
    if runs is not None:
        return np.lexsort((key, runs))
    if bool((key[1:] >= key[:-1]).all()):
        return None
    return np.argsort(key, kind="stable")


def _whole_borrow(entries, exits, kept, charges, last: int, held, reason) -> np.ndarray:
    """The borrow fee of a single position's units (``entries``, ``exits``: their entry and
    exit bars, -1 for one held): ``engine.broker.costs.held_borrow`` of the closes each
    unit closed whole was held at (one held last: through the last close); a unit sold in
    parts (its entry bar on several rows) keeps its parts' shares (``kept``)."""
    from engine.broker.costs import held_borrow

    entry_bar = entries.astype(np.int64)
    exit_bar = np.where(held, last, exits).astype(np.int64)
    _, at, counts = np.unique(entry_bar, return_inverse=True, return_counts=True)
    whole = counts[at] == 1
    return np.where(whole, held_borrow(charges, entry_bar, exit_bar, reason), kept)


(
    ENTRY_BAR,
    ENTRY_PRICE,
    SIZE,
    ENTRY_FEE,
    EXIT_BAR,
    EXIT_PRICE,
    EXIT_FEE,
    REASON,
    SIDE,
    UNIT_BORROW,
    DIVIDENDS,
    IN_LIEU,
) = range(12)
"""Columns of a unit table: the compiled step's first ten (``engine.broker.step``), then
the dividends and cash in lieu."""
UNIT_COLUMNS = IN_LIEU + 1
