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
* Equity = cash + position × close, on every bar. If equity reaches zero or below (only a
  short can do that), the position is liquidated at that close (paying the fee on its
  notional, as backtesting.py does), the deficit is absorbed (cash 0) and the run stops
  trading: equity stays 0. With ``close_at_end`` a position still open after the last bar
  is closed at the last bar's open (``paths``).

Runs that walk bars (stops, a borrow fee, entry orders, position-aware exits, size series,
corporate actions, scaling, liquidity) are walked by the broker's compiled step
(``engine.broker.step``, through ``engine._scaling``), which returns ``Events`` too; this
module builds every run's paths and trade counts from them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine import compiled
from engine.broker.costs import ARRAYS, Costs, fill
from engine.broker.stops import SIGNAL, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP
from engine.params import TradingParams
from engine.result import ADDED_FILL

__all__ = ["SIGNAL", "STOP_LOSS", "TAKE_PROFIT", "TRAILING_STOP"]

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import Applied


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
    (``max_entries``, ``exit_fraction``), its rows in the order of its trades; None: one
    position at a time."""
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
entry, -1 an exit, 0 neither or, without ``exit_priority``, both), which
``resolve_conflicts`` resolves against the side asked for before."""


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
    if n_runs == 1 and compiled.worth_loading(runs.size, compiled.MIN_FILLS, compiled.LOAD_FILLS):
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
    width = len(EVENT_FIELDS)  # the floats read in one pass (np.array of the rows: 2x longer)
    flat = np.fromiter(itertools.chain.from_iterable(rows), np.float64, len(rows) * width)
    return flat.reshape(-1, width).T.copy()


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
    that pays a borrow fee is the walk's ``cash_path``); once the run kernels are loaded, or
    numba is and the runs are long enough to pay for loading them
    (``compiled.walked_kernels``: a small walked Job's paths stay on numpy), one compiled
    pass writes the same floats (``_compiled_paths``). ``end_close``
    (the last bar's open and the costs, when ``close_at_end``): a position held after the
    last bar by a run that did not go bust is closed at that open, as a fill
    (``close_at_end``).
    """
    n_bars = close.shape[0]
    walked = compiled.walked_kernels(close.size * (last - first))
    if events.cash_path is None and events.position_path is None and walked:
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
    floats, no temporary N × T array), when ``compiled.walked_kernels`` says they pay."""
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
