"""The simulation core: signals → fills → cash/position/equity paths, for N runs at once.

All N runs share the bars and trading parameters and differ by their signals (one row per
parameter set), so a parameter sweep is one vectorised pass and a single run is the same
code with N = 1: a sweep's numbers equal a single run's bit for bit.

Execution convention (docs/execution.md, "Execution convention"):

* The desired position after bar t follows the most recent signal up to t: an entry means
  long; an exit means flat (``longonly``) or short (``longshort``). A bar where entry and
  exit are both true is conflicting and ignored; with ``exit_priority`` it is the exit
  while the desired position is long and the entry otherwise (``resolve_conflicts``).
* A change of the desired position on bar t's close fills at bar t+1's open: first the
  open position is closed, then the new one is opened. A change on the last bar never fills.
* Fill prices carry slippage against the trader: a buy at open × (1 + bps/10000), a sell at
  open × (1 − bps/10000). Fees are ``fee_rate`` × traded notional, on each side, plus the
  fixed and the bounded per-share fee when set (``engine.broker.costs.order_fee``).
* Whole shares. Budget: ``value`` → min(position_size, cash); ``percent`` → cash ×
  position_size / 100 (the position is flat then, so cash is the equity). Shares = the
  largest n with n × price + fee(n) ≤ budget: floor(budget / (price × (1 + fee_rate))) with
  ``fee_rate`` alone, lowered by one if rounding would overspend
  (``engine.broker.costs.affordable``).
  A change that cannot buy one share opens nothing; the run waits for the next change.
* A short pays ``borrow_rate`` / bars per year of its value at each close it is held
  (a bar-by-bar walk records the cash path: the broker's step, or ``stop_events``). With
  ``close_at_end`` a position still open after the last bar is closed at the last bar's
  open (``paths``).
* Equity = cash + position × close, on every bar. If equity reaches zero or below (only a
  short can do that), the position is liquidated at that close (paying the fee on its
  notional, as backtesting.py does), the deficit is absorbed (cash 0) and the run stops
  trading: equity stays 0.
* Stops (walked bar by bar, only when a stop is set): levels are percent of the entry fill
  price; after the open's fills, the position held is checked against the bar's low/high. A
  stop fills at its level, or at the open when the bar gaps through it; the stop-loss (or
  the tighter of stop-loss and trailing stop) wins over the take-profit when both are in
  the bar's range (backtesting.py's SL-first order). A trailing stop is checked against the
  level of the previous bars, then ratchets with this bar's high (long) or low (short). A
  stopped-out run stays flat until the next signal that opens a position.
* Position-aware exits (``stop_events`` with ``position_exits``): while a long is open, the
  exit on each close is a function of the long's fill bar and entry price (an EXPR exit
  naming ``bars_held``, ``open_return``…), evaluated after the bar's fills and stops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine import compiled
from engine.broker.costs import ARRAYS, Costs, borrow_charge, fill, fill_sized
from engine.broker.stops import SIGNAL, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP, Position, Stops
from engine.params import TradingParams
from engine.result import ADDED_FILL

__all__ = ["SIGNAL", "STOP_LOSS", "TAKE_PROFIT", "TRAILING_STOP"]

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import Applied, CorporateActions, Ledger


@dataclass(frozen=True, eq=False)
class Events:
    """The fills of N runs as flat arrays, grouped by run and in time order within a run.

    Fill e belongs to run ``run[e]`` at bar ``bar[e]``: ``closed[e]`` signed shares were
    closed at ``close_price`` paying ``close_fee``; then ``opened`` signed shares were opened
    at ``open_price`` paying ``open_fee``; ``cash`` and ``shares`` are the state after it.
    Run i's fills are ``offsets[i]:offsets[i + 1]``.
    """

    offsets: np.ndarray
    run: np.ndarray
    bar: np.ndarray
    closed: np.ndarray
    close_price: np.ndarray
    close_fee: np.ndarray
    opened: np.ndarray
    open_price: np.ndarray
    open_fee: np.ndarray
    cash: np.ndarray
    shares: np.ndarray
    reason: np.ndarray | None = None
    """Why ``closed`` was closed (codes of ``engine.result.EXIT_REASONS``); None: all by signal."""
    cash_path: np.ndarray | None = None
    """N × T cash at every close when it moves between fills (a borrow fee); None: it does not."""
    borrow: np.ndarray | None = None
    """N × T borrow fee charged at each close (with ``cash_path``); None: none."""
    position_path: np.ndarray | None = None
    """N × T shares at every close when they move between fills (a split, a delisting:
    ``engine.corporate``); None: they do not."""
    applied: Applied | None = None
    """The corporate actions that met a position (``engine.corporate.Applied``); None: the
    run's bars held none."""
    units: list | None = None
    """Per run, its unit table (``engine._scaling.unit_trades``) when it scales in or out
    (``max_entries``, ``exit_fraction``); None: one position at a time."""
    entered: np.ndarray | None = None
    """N × 2: per run, the shares its entries were sized for and those they filled, with a
    liquidity field (``engine.broker.step.entered``); None without one."""

    def of_run(self, i: int) -> range:
        """Indices of run i's fills."""
        return range(int(self.offsets[i]), int(self.offsets[i + 1]))


@dataclass(frozen=True, eq=False)
class Paths:
    """Per-bar state of a block of runs (n × T) and, per run, the bust bar (-1 when none)."""

    cash: np.ndarray
    position: np.ndarray
    equity: np.ndarray
    bust_bar: np.ndarray


BOTH = 2
"""The signal code of a bar whose entry and exit both hold, with ``exit_priority`` (+1 an
entry, -1 an exit, 0 neither or, without ``exit_priority``, both): the walks resolve it
against the side they hold (``resolved``)."""


def signal_codes(entries: np.ndarray, exits: np.ndarray, params: TradingParams) -> np.ndarray:
    """Each bar's signal as an int8 code: entry minus exit, ``BOTH`` where both hold when
    ``params.exit_priority`` is set."""
    signal = entries.astype(np.int8)
    signal -= exits
    if params.exit_priority:
        signal[entries & exits] = BOTH
    return signal


def signal_code(entry: bool, leave: bool, exit_priority: bool) -> int:
    """``signal_codes`` of one bar (a position-aware exit's, read in the walk)."""
    if entry and leave and exit_priority:
        return BOTH
    return entry - leave


def resolved(signal: int, previous: int) -> int:
    """A signal code as the side it asks for, ``previous`` being the side the walk holds
    (or asked for last): ``BOTH`` is the exit while long, the entry otherwise."""
    if signal == BOTH:
        return -1 if previous > 0 else 1
    return signal


def resolve_conflicts(
    entries: np.ndarray, exits: np.ndarray, direction: str
) -> tuple[np.ndarray, np.ndarray]:
    """N × T signals with every bar where both hold turned into the exit or the entry as
    ``exit_priority`` resolves it for the paths that walk no stop (``transitions`` and the
    one-pass kernel, whose desired side follows the signals alone): the exit when the side
    asked for before is long, the entry otherwise. The side before a run of such bars is
    the last other signal's (none: not long); each of them then flips it, so the k-th is
    that side's opposite for odd k and that side for even k. Without such a bar the inputs
    are returned as they are."""
    both = entries & exits
    if not both.any():
        return entries, exits
    signal = entries.astype(np.int8)
    signal -= exits
    signal[both] = BOTH
    runs, cols = np.nonzero(signal)
    side = signal[runs, cols].astype(np.int64)
    at = np.arange(side.size)
    conflict = side == BOTH
    first = np.ones(side.size, dtype=bool)
    first[1:] = runs[1:] != runs[:-1]
    start = np.maximum.accumulate(np.where(first, at, 0))
    last = np.maximum.accumulate(np.where(conflict, -1, at))
    known = last >= start
    longonly = direction == "longonly"
    flat = 0 if longonly else -1  # the side that is not long
    before = side[np.maximum(last, 0)]
    if longonly:
        before = np.maximum(before, 0)
    base = np.where(known, before, flat)
    count = at - np.where(known, last, start - 1)
    flipped = 1 - base if longonly else -base
    side = np.where(count % 2 == 1, flipped, base)
    rows, bars, long = runs[conflict], cols[conflict], side[conflict] > 0
    entries, exits = entries.copy(), exits.copy()
    entries[rows, bars], exits[rows, bars] = long, ~long
    return entries, exits


def transitions(
    entries: np.ndarray, exits: np.ndarray, direction: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each run's desired position changes: (run, fill bar, new side), run-major.

    Works on the sparse non-zero signals only: a signal changes the desired position when
    its side differs from the previous signal's side in the same run (0 before the first).
    A change on the last bar has no next open and is dropped.
    """
    signal = entries.astype(np.int8)
    signal -= exits
    runs, cols = np.nonzero(signal)
    side = signal[runs, cols]
    if direction == "longonly":
        np.maximum(side, 0, out=side)
    previous = np.zeros_like(side)
    previous[1:] = side[:-1]
    previous[np.flatnonzero(np.diff(runs)) + 1] = 0
    if runs.size:
        previous[0] = 0
    keep = (side != previous) & (cols < signal.shape[1] - 1)
    return runs[keep], cols[keep] + 1, side[keep].astype(np.float64)


def fill_events(
    n_runs: int,
    runs: np.ndarray,
    bars: np.ndarray,
    sides: np.ndarray,
    open_: np.ndarray,
    params: TradingParams,
) -> Events:
    """Size and price every fill, in time order within each run."""
    counts = np.bincount(runs, minlength=n_runs)
    offsets = np.zeros(n_runs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    out = {name: np.zeros(runs.size) for name in EVENT_FIELDS}
    costs = Costs.of(params)
    prices = open_[bars]
    if n_runs == 1 and (compiled.pays(runs.size, compiled.MIN_FILLS) or compiled.loaded()):
        walked = compiled.kernels().walk_one(prices, sides, costs.as_array())
        out = dict(zip(EVENT_FIELDS, walked, strict=True))
    elif n_runs == 1:
        out = dict(zip(EVENT_FIELDS, _walk_one(prices, sides, costs), strict=True))
    else:
        _walk_waves(runs, offsets, counts, prices, sides, costs, out)
    return Events(offsets=offsets, run=runs, bar=bars, **out)


EVENT_FIELDS = (
    "closed",
    "close_price",
    "close_fee",
    "opened",
    "open_price",
    "open_fee",
    "cash",
    "shares",
)


def _record(out: dict, at, closed, close_price, close_fee, opened, open_price, open_fee, cash):
    """Store fills ``at`` (an index or an index array) in the event arrays."""
    values = (closed, close_price, close_fee, opened, open_price, open_fee, cash, opened)
    for name, value in zip(EVENT_FIELDS, values, strict=True):
        out[name][at] = value


def _walk_one(prices: np.ndarray, sides: np.ndarray, c: Costs) -> np.ndarray:
    """The fills of one run, in Python floats (a single backtest: ~50x fewer calls): one
    row of ``EVENT_FIELDS`` per fill, as the columns of an 8 × E array (made once)."""
    cash, shares, costs = c.initial_capital, 0.0, c.floats
    rows = []
    for price, side in zip(prices.tolist(), sides.tolist(), strict=True):
        close_price, close_fee, open_price, qty, open_fee, cash = fill(
            cash, shares, price, side, costs
        )
        opened = side * qty
        rows.append((shares, close_price, close_fee, opened, open_price, open_fee, cash, opened))
        shares = opened
    return np.array(rows, dtype=np.float64).reshape(-1, len(EVENT_FIELDS)).T.copy()


def _walk_waves(
    runs: np.ndarray,
    offsets: np.ndarray,
    counts: np.ndarray,
    prices: np.ndarray,
    sides: np.ndarray,
    c: Costs,
    out: dict,
) -> None:
    """The fills of N runs in waves: wave k is the k-th fill of every run that has one."""
    cash = np.full(counts.size, c.initial_capital)
    shares = np.zeros(counts.size)
    rank = np.arange(runs.size) - offsets[runs]
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(int(counts.max(initial=0)) + 1))
    bounds = np.append(bounds, runs.size)
    for k in range(bounds.size - 1):
        fills = order[bounds[k] : bounds[k + 1]]
        who = runs[fills]
        held = shares[who]
        side = sides[fills]
        close_price, close_fee, open_price, qty, open_fee, cash_after = ARRAYS["fill"](
            cash[who], held, prices[fills], side, c.floats
        )
        opened = side * qty
        _record(out, fills, held, close_price, close_fee, opened, open_price, open_fee, cash_after)
        cash[who] = cash_after
        shares[who] = opened


def paths(
    events: Events,
    first: int,
    last: int,
    close: np.ndarray,
    initial_capital: float,
    end_close: tuple[float, Costs] | None = None,
) -> Paths:
    """Cash, position and equity on every bar for runs ``first:last``, bankruptcy applied.

    Each run's bars are segments between fills; a segment's cash and shares are repeated
    over its bars (``np.repeat``), so no N × T index arrays are built (the cash of a run
    that pays a borrow fee is the walk's ``cash_path``); once the kernels or the step are
    loaded, one compiled pass writes the same floats (``_compiled_paths``). ``end_close``
    (the last bar's open and the costs, when ``close_at_end``): a position held after the
    last bar by a run that did not go bust is closed at that open, as a fill
    (``close_at_end``).
    """
    n_bars = close.shape[0]
    if events.cash_path is None and events.position_path is None and compiled.loaded():
        state_paths = _compiled_paths(events, first, last, close, initial_capital)
    else:
        state_paths = _numpy_paths(events, first, last, close, initial_capital)
    if end_close is not None and end_close[1].close_at_end and n_bars:
        _close_at_end(state_paths.cash, state_paths.position, state_paths.equity, close, *end_close)
    return state_paths


def _compiled_paths(
    events: Events, first: int, last: int, close: np.ndarray, initial_capital: float
) -> Paths:
    """``_numpy_paths`` in one compiled pass (``engine._kernel.fill_paths``: the same
    floats, no temporary N × T array), when the kernels or the step are loaded."""
    kernel_array = compiled.kernel_array
    n_runs, n_bars = last - first, close.shape[0]
    lo = int(events.offsets[first])
    offsets = kernel_array(events.offsets[first : last + 1] - lo, np.int64)
    hi = int(events.offsets[last])
    cash, position = np.empty((n_runs, n_bars)), np.empty((n_runs, n_bars))
    equity, bust_bar = np.empty((n_runs, n_bars)), np.empty(n_runs, dtype=np.int64)
    compiled.kernels().fill_paths(
        offsets,
        kernel_array(events.bar[lo:hi], np.int64),
        kernel_array(events.cash[lo:hi]),
        kernel_array(events.shares[lo:hi]),
        kernel_array(close),
        float(initial_capital),
        cash,
        position,
        equity,
        bust_bar,
    )
    return Paths(cash=cash, position=position, equity=equity, bust_bar=bust_bar)


def _numpy_paths(
    events: Events, first: int, last: int, close: np.ndarray, initial_capital: float
) -> Paths:
    """``paths`` before the close at the end, in numpy (the cash of a run that pays a
    borrow fee, or the shares of one corporate actions met, the walk's own paths)."""
    n_runs, n_bars = last - first, close.shape[0]
    lo, hi = int(events.offsets[first]), int(events.offsets[last])
    runs = events.run[lo:hi] - first
    bars = events.bar[lo:hi]
    slot = np.arange(lo, hi) - lo + runs + 1  # segment index: each run has one extra, first
    starts = np.arange(n_runs) + events.offsets[first:last] - lo
    cash_seg = np.empty(hi - lo + n_runs)
    share_seg = np.zeros(hi - lo + n_runs)
    cash_seg[starts] = initial_capital
    cash_seg[slot] = events.cash[lo:hi]
    share_seg[slot] = events.shares[lo:hi]
    begin = np.zeros(hi - lo + n_runs, dtype=np.int64)
    begin[slot] = bars
    end = np.empty_like(begin)
    end[:-1] = begin[1:]
    end[np.append(starts[1:], begin.size) - 1] = n_bars
    lengths = end - begin
    if events.cash_path is not None:
        cash = events.cash_path[first:last].copy()
    else:
        cash = np.repeat(cash_seg, lengths).reshape(n_runs, n_bars)
    if events.position_path is not None:
        position = events.position_path[first:last].copy()
    else:
        position = np.repeat(share_seg, lengths).reshape(n_runs, n_bars)
    equity = position * close
    equity += cash  # cash + position × close, in the product's buffer

    bust = equity <= 0.0
    bust_bar = np.full(n_runs, -1)
    for row in np.flatnonzero(bust.any(axis=1)):
        start = int(bust[row].argmax())
        bust_bar[row] = start
        cash[row, start:] = 0.0
        position[row, start:] = 0.0
        equity[row, start:] = 0.0
    return Paths(cash=cash, position=position, equity=equity, bust_bar=bust_bar)


def _close_at_end(
    cash: np.ndarray,
    position: np.ndarray,
    equity: np.ndarray,
    close: np.ndarray,
    last_open: float,
    c: Costs,
) -> None:
    """Close the positions still held on the last bar at its open, in place (a bust run
    holds none): ``_fill`` with no new side, as backtesting.py's ``finalize_trades`` fills
    its closing orders at the last bar's open."""
    rows = np.flatnonzero(position[:, -1] != 0.0)
    if not rows.size:
        return
    held = position[rows, -1]
    price = np.full(rows.size, last_open)
    *_, cash_flat = ARRAYS["fill"](cash[rows, -1], held, price, np.zeros(rows.size), c.floats)
    cash[rows, -1] = cash_flat
    position[rows, -1] = 0.0
    equity[rows, -1] = cash_flat + position[rows, -1] * close[-1]


def trade_counts(events: Events, first: int, last: int, bust_bar: np.ndarray) -> np.ndarray:
    """Trades opened per run of ``first:last`` (closed or still open), up to the bust bar;
    a fill that adds to a unit opened earlier (``engine.result.ADDED_FILL``) opens none."""
    lo, hi = int(events.offsets[first]), int(events.offsets[last])
    runs = events.run[lo:hi] - first
    limit = np.where(bust_bar >= 0, bust_bar, np.iinfo(np.int64).max)
    counted = (events.opened[lo:hi] != 0) & (events.bar[lo:hi] <= limit[runs])
    if events.reason is not None:
        counted &= events.reason[lo:hi] != ADDED_FILL
    return np.bincount(runs[counted], minlength=last - first)


PositionExit = Callable[[float, int, float], Callable[[int], bool]]
"""A run's position-aware exit (docs/execution.md, "Position-aware exits"): called with the
side (+1: the walk calls it for longs, the side an exit closes), the fill bar and the entry
fill price of a position the walk opens, it returns whether the exit holds on a bar's close
while that position is open (bars from the fill bar on, in increasing order). One that
carries a ``program`` (``engine.broker.program.ExitProgram``) is evaluated by the broker's
compiled step itself."""

Sizer = Callable[[int, float], float]
"""A run's size series (docs/execution.md, "Position size as an expression"): called with a
signal bar and the run's equity at its close, it returns the size of the position that
signal opens (a fraction of equity or shares, ``TradingParams.size_unit``; NaN: none). One
that carries a ``program`` (``engine.broker.program.SizeProgram``) is evaluated by the
broker's compiled step itself."""


def stop_events(
    entries: np.ndarray,
    exits: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    params: TradingParams,
    close: np.ndarray | None = None,
    *,
    position_exits: Sequence[PositionExit | None] | None = None,
    sizes: Sequence[Sizer] | None = None,
    actions: CorporateActions | None = None,
) -> Events:
    """The fills of N walked single-position runs (stops, a borrow fee, a position-aware
    exit, a size series, corporate actions), walking each run bar by bar (Python floats):
    the runs with corporate actions and those too small to pay for numba; the others go
    through the broker's compiled step (``engine._scaling.stepped_events``), with the same
    numbers. With a borrow fee
    (``close`` given) a short pays it at each close, and the cash at every close and each
    charge are kept (``Events.cash_path``, ``Events.borrow``). ``position_exits[i]``
    (``PositionExit``, or None): run i's exit while a long is open, in place of its row of
    ``exits`` (which hold the exit outside one, and while short: an exit never closes a
    short). ``sizes[i]`` (``Sizer``): run i's size series, read on the close of each bar
    whose signal opens a position (with ``params.size_unit``).

    Per bar: the fill of the previous close's signal change at the open (close, then open,
    as without stops), then the stop check of the position held, then the bar's signal. A
    stop resets the signal side to flat, so the next entry (or, in ``longshort``, exit)
    signal opens a position again; a repeated signal otherwise changes nothing. Without a
    stop ever hit, the fills equal ``transitions`` + ``fill_events`` bit for bit. With
    ``actions`` (``engine.corporate.CorporateActions``, ``close`` given) each bar's events
    act on the position (``engine.corporate.Ledger``) and the shares at every close are
    kept too (``Events.position_path``).
    """
    signal = signal_codes(entries, exits, params)
    costs, stops = Costs.of(params), Stops.of(params)
    closes = close.tolist() if close is not None and (costs.borrow or actions is not None) else None
    prices = (open_.tolist(), high.tolist(), low.tolist(), closes)
    applied = None
    if actions is not None:
        from engine.corporate import Applied, Ledger

        applied = Applied()
    rows: list[tuple] = []
    carry: list[tuple[list, list]] = []
    counts = np.zeros(signal.shape[0], dtype=np.int64)
    longonly = params.direction == "longonly"
    if (sizes is None) != (params.size_unit is None):
        raise ValueError("a size series goes with params.size_unit, and only with it")
    if sizes is not None and close is None:
        raise ValueError("a size series needs the closes (its equity)")
    closes_all: list[float] = []  # what a size series reads its equity at
    if sizes is not None:
        closes_all = closes if closes is not None else close.tolist()
    for i, sides in enumerate(signal.tolist()):
        before = len(rows)
        held = None
        if position_exits is not None and position_exits[i] is not None:
            held = (position_exits[i], entries[i].tolist(), params.exit_priority)
        sizing = None if sizes is None else (sizes[i], closes_all)
        ledger = None if applied is None else Ledger(i, actions, prices[0], applied)
        path = _walk_stops(i, sides, longonly, prices, costs, stops, rows, held, sizing, ledger)
        if path is not None:
            carry.append(path)
        counts[i] = len(rows) - before

    def per_bar(part: int) -> np.ndarray | None:
        values = [path[part] for path in carry]
        return np.array(values, dtype=np.float64).reshape(signal.shape) if carry else None

    events = events_of_rows(
        rows, counts, cash_path=per_bar(0), borrow=per_bar(1) if costs.borrow else None
    )
    if applied is None:
        return events
    return dataclasses.replace(events, position_path=per_bar(2), applied=applied)


def events_of_rows(
    rows: list[tuple],
    counts: np.ndarray,
    cash_path: np.ndarray | None = None,
    borrow: np.ndarray | None = None,
) -> Events:
    """``Events`` of fills walked as (run, bar, *``EVENT_FIELDS``, reason) tuples, run-major;
    ``counts`` holds each run's number of fills; ``cash_path`` and ``borrow`` the cash at
    every close and each borrow charge (N × T) of a walk that charged a borrow fee."""
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    columns = list(zip(*rows, strict=True)) if rows else [()] * 11
    fields = {
        name: np.array(col, dtype=np.float64)
        for name, col in zip(EVENT_FIELDS, columns[2:10], strict=True)
    }
    return Events(
        offsets=offsets,
        run=np.array(columns[0], dtype=np.int64),
        bar=np.array(columns[1], dtype=np.int64),
        reason=np.array(columns[10], dtype=np.int8),
        cash_path=cash_path,
        borrow=borrow,
        **fields,
    )


def _open_at(
    run: int,
    bar: int,
    cash: float,
    shares: float,
    price: float,
    pending: int,
    c: Costs,
    rows: list,
    size: float | None = None,
) -> tuple[float, float, float]:
    """The fill of a pending signal change (``pending`` - 2: the side to hold) at ``price``,
    ``bar``'s open: ``shares`` closed, the new side opened (sized by ``size`` when given),
    its row appended; returns (the cash, the shares held, their fill price) after it."""
    new_side = float(pending - 2)
    if size is None:
        close_price, close_fee, open_price, qty, open_fee, cash = fill(
            cash, shares, price, new_side, c.floats
        )
    else:
        close_price, close_fee, open_price, qty, open_fee, cash = fill_sized(
            cash, shares, price, new_side, c, size
        )
    opened = new_side * qty
    rows.append(
        (run, bar, shares, close_price, close_fee, opened, open_price, open_fee, cash, opened,
         SIGNAL)
    )  # fmt: skip
    return cash, opened, open_price


def _stopped_at(
    run: int, bar: int, cash: float, shares: float, hit: tuple[float, int], c: Costs, rows: list
) -> float:
    """The close of ``shares`` at a stop's fill ``hit`` (price, reason) on ``bar``, its row
    appended; returns the cash after it."""
    close_price, close_fee, _, _, _, cash = fill(cash, shares, hit[0], 0.0, c.floats)
    rows.append((run, bar, shares, close_price, close_fee, 0.0, 0.0, 0.0, cash, 0.0, hit[1]))
    return cash


def _walk_stops(
    run: int,
    signals: list[int],
    longonly: bool,
    prices: tuple[list, list, list, list | None],
    c: Costs,
    s: Stops,
    rows: list,
    held: tuple[PositionExit, list, bool] | None = None,
    sizing: tuple[Sizer, list[float]] | None = None,
    ledger: Ledger | None = None,
) -> tuple[list, ...] | None:
    """Append run ``run``'s fills as (run, bar, *``EVENT_FIELDS``, reason) tuples;
    ``signals`` holds +1 (entry), -1 (exit), ``BOTH`` or 0 per bar (``signal_codes``).
    With closes (a borrow fee) a short pays it at each close; returns the cash at every
    close and each charge then. ``held`` (a position-aware exit, the run's entries and
    ``exit_priority``): while a long is open, a bar's signal is its entry against that exit
    on the bar's close (``signal_code``; a short is closed by an entry only, so its bars
    keep the exit outside a position). ``sizing`` (a size series and the
    closes): the size of a position is the series' value on its signal bar's close, with
    the equity then. ``ledger`` (``engine.corporate.Ledger``): the run's corporate actions,
    acting at each open and close; the shares at every close are returned too."""
    opens, highs, lows, closes = prices
    last = len(signals) - 1
    cash, shares, previous, pending = c.initial_capital, 0.0, 0, 0
    position: Position | None = None
    exit_at: Callable[[int], bool] | None = None
    size: float | None = None
    cash_path: list[float] = []
    charges: list[float] = []
    shares_path: list[float] = []
    for bar in range(last + 1):
        if ledger is not None:
            cash, shares = ledger.at_open(bar, cash, shares, position)
            if exit_at is not None and ledger.split[bar] != 1.0:
                exit_at.split(bar, ledger.split[bar])  # type: ignore[attr-defined]
        if pending:
            new_side = float(pending - 2)
            cash, shares, price = _open_at(
                run, bar, cash, shares, opens[bar], pending, c, rows, size
            )
            position = Position(new_side, price, s) if shares else None
            pending = 0
            if held is not None:  # a long only: an exit never closes a short
                exit_at = held[0](new_side, bar, price) if shares > 0 else None
        if position is not None:
            hit = position.exit(opens[bar], highs[bar], lows[bar])
            if hit is not None:
                cash = _stopped_at(run, bar, cash, shares, hit, c, rows)
                shares, position, previous, exit_at = 0.0, None, 0, None
        if closes is not None:
            charge = borrow_charge(shares, closes[bar], c.borrow)
            cash -= charge
            if ledger is not None:
                cash, shares = ledger.at_close(bar, cash, shares, rows)
                shares_path.append(shares)
            cash_path.append(cash)
            charges.append(charge)
        signal = signals[bar]
        if exit_at is not None:
            signal = signal_code(held[1][bar], exit_at(bar), held[2])  # type: ignore[index]
        if signal and bar < last:
            signal = resolved(signal, previous)
            side = max(signal, 0) if longonly else signal
            if side != previous:
                pending, previous = side + 2, side  # +2: 0 means no pending change
                if sizing is not None:
                    size = sizing[0](bar, cash + shares * sizing[1][bar]) if side else 0.0
    if closes is None:
        return None
    return (cash_path, charges, shares_path) if ledger is not None else (cash_path, charges)
