"""N runs through the broker's step, each reduced to the statistics every stored metric
derives from in the same pass (numba, the runs spread over the cores): a batch's or a sweep's
walked runs when only their metrics, equity and block statistics are wanted, not their
fills.

``evaluate_runs`` steps each run with ``engine.broker.step.step`` (the very function
``walk_runs`` and a Python driver call) on every bar where it can act, marks the equity on
every close as ``engine._simulate.paths`` does (cash + shares × close; from a close where
it is 0 or less, 0: the bust rule), closes what is held at the last open with
``close_at_end`` (``engine.broker.step.finish``) and reduces the curve with the one-pass
kernel's reductions (``engine._kernel.track_curve``, ``engine._kernel.reduce_run``:
numpy's order), so its statistics equal those built from the step's fills bit for bit and
take the one pass's columns (``engine._kernel.N_STATS``, block sums and squares). The
step's tables of fills, closed units and orders are emptied every bar (a pending order
kept): only the book's state is read. A book and a buffer of bar returns are allocated once
per ``RUNS_PER_BOOK`` runs, not per run. A sweep whose signals are crossings of two lines
(``engine.backtest.run_crossings``) has each run's crossings written into a row of the book
(``_crossed``), never N × T signal arrays; with a liquidity field each run's count of the
shares its entries were sized for and filled is read from the book
(``engine.broker.step.entered``: a capacity curve's unfilled share).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine import _kernel, _spread, kernel_stamp
from engine.broker import step as broker_step
from engine.broker.costs import BORROW

N_STATS = _kernel.N_STATS
"""Columns of ``evaluate_runs``' statistics, per run: ``engine._kernel``'s (``FINAL`` ...
``TRADES``)."""
RUNS_PER_BOOK = 32
"""Runs walked one after the other on one book (``engine.broker.step.new_state``)."""

_track_curve, _reduce_run = _kernel.track_curve, _kernel.reduce_run
_step, _finish, _new_state, _start_run = (
    broker_step.step,
    broker_step.finish,
    broker_step.new_state,
    broker_step.start_run,
)
_with_liquidity, _entered = broker_step.with_liquidity, broker_step.entered
# the one predicate of both skips (``broker_step._stops_act``), its levels taken once a skip
_stop_bounds, _reaches = broker_step._stop_bounds, broker_step._reaches
NO_BOUNDS = (np.nan, np.nan, np.nan, np.nan)
"""``_stop_bounds`` of a book whose stops are not watched: no bar reaches them."""
CASH, SHARES = broker_step.CASH, broker_step.SHARES
N_ROWS, N_DONE, N_ORDERS, ORDER = (
    broker_step.N_ROWS,
    broker_step.N_DONE,
    broker_step.N_ORDERS,
    broker_step.ORDER,
)
NEXT_ID, MAX_ENTRIES = broker_step.NEXT_ID, broker_step.MAX_ENTRIES
CLOSE_AT_END, STOPPED = broker_step.CLOSE_AT_END, broker_step.STOPPED
SIDE, LOSS, PROFIT = broker_step.SIDE, broker_step.LOSS, broker_step.PROFIT
TRAIL_LEVEL, EXTREME, TRAIL_AT = broker_step.TRAIL_LEVEL, broker_step.EXTREME, broker_step.TRAIL_AT
PENDING, N_HELD = broker_step.PENDING, broker_step.N_HELD
REMAINING, LEAVING = broker_step.REMAINING, broker_step.LEAVING


@njit(cache=True, nogil=True, _nrt=False)
def _bars(state, i, signals, bars, costs, fractions, setup, curve) -> int:
    """Run ``i`` on a started book ``state``, allocating nothing (without numba's reference
    counting, whose atomic counts on the state's arrays every bar would cost more than the
    step): ``signals`` = (entries, exits, limit prices, stop prices), ``bars`` = (open,
    high, low, close). Writes the equity of every close into ``curve`` (T); returns the
    units bought up to the bust.

    The step is called on every bar where it can act (``_acts``); on the others (no signal,
    no market order for the open, no entry order pending, no stop the bar reaches nor
    trailing level it moves (``_stops_act``), no borrow fee to charge, not the last bar) it
    changes nothing, so the equity is marked from the cash and shares it left, kept in
    registers."""
    enter, leave, limits, stops_at = signals
    open_, high, low, close = bars
    n_bars = close.size
    last = n_bars - 1
    fs, ns, book = state[0], state[1], state[5]
    cash, shares, acts, watch = fs[CASH], fs[SHARES], True, False
    trail = fractions[TRAIL_AT]
    bar = 0
    while bar < n_bars:
        if not acts:
            bounds = _stop_bounds(state, trail) if watch else NO_BOUNDS  # none change
            while bar < last and not (enter[bar] or leave[bar]):
                if watch and _reaches(bounds, high[bar], low[bar]):
                    break
                value = cash + shares * close[bar]
                if value <= 0.0:  # the step's bust rule, then this driver's below
                    break
                curve[bar] = value
                bar += 1
        ns[N_ROWS], ns[N_DONE] = 0, 0
        k = ns[ORDER]
        if k > 0:  # the pending order moves to the book's first row
            for f in range(book.shape[1]):
                book[0, f] = book[k, f]
            ns[ORDER] = 0
        ns[N_ORDERS] = 1 if ns[ORDER] == 0 else 0
        _step(
            state,
            i,
            bar,
            last,
            enter[bar],
            leave[bar],
            (open_[bar], high[bar], low[bar], close[bar]),
            limits[bar],
            stops_at[bar],
            costs,
            fractions,
            setup,
        )
        cash, shares = fs[CASH], fs[SHARES]
        value = cash + shares * close[bar]
        if value <= 0.0:  # bust: 0 from this close on
            for t in range(bar, n_bars):
                curve[t] = 0.0
            break
        if bar == last and setup[CLOSE_AT_END]:
            ns[N_ROWS], ns[N_DONE], ns[N_ORDERS] = 0, 0, 0
            _finish(state, i, last, open_[last], costs, fractions, setup)
            value = fs[CASH] + fs[SHARES] * close[bar]
        curve[bar] = value
        acts = _acts(state, costs)
        watch = setup[STOPPED] != 0 and ns[N_HELD] > 0
        bar += 1
    return ns[NEXT_ID]


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _acts(state, costs) -> bool:
    """Whether the step acts on every bar from the next on, with or without a signal: a
    market order for its open or an entry order pending, an entry or a sale carried
    (liquidity), or a short paying the borrow fee at its close. (Units held with stops act
    on a bar only where ``_stops_act``.)"""
    fs, ns = state[0], state[1]
    if ns[PENDING] != 0 or ns[ORDER] >= 0:
        return True
    if fs[REMAINING] > 0.0 or fs[LEAVING] > 0.0:  # liquidity: an entry or a sale carried
        return True
    return costs[BORROW] != 0.0 and fs[SHARES] < 0.0


@njit(cache=True, nogil=True, _nrt=False)
def _crossed(a, b, offset, enter, leave) -> None:
    """The crossings of line ``a`` over line ``b`` on the bars (history indices ``offset``
    to ``offset`` + T - 1) into ``enter`` (above now, at or below on the bar before) and
    ``leave`` (below now, at or above before), as ``engine._kernel``'s one pass reads them
    (``rules.signals.cross_above``/``cross_below``: a comparison with NaN is false; history
    bar 0 never crosses)."""
    was_at_most = was_at_least = False
    if offset > 0:
        was_at_most = a[offset - 1] <= b[offset - 1]
        was_at_least = a[offset - 1] >= b[offset - 1]
    for t in range(enter.size):
        now, now_other = a[offset + t], b[offset + t]
        enter[t] = (now > now_other) & was_at_most
        leave[t] = (now < now_other) & was_at_least
        was_at_most = now <= now_other
        was_at_least = now >= now_other


def _evaluate_runs(
    entries,
    exits,
    lines,
    line,
    other,
    offset,
    limits,
    stops_at,
    price_row,
    open_,
    high,
    low,
    close,
    seconds,
    day,
    costs,
    fractions,
    setup,
    edges,
    curves,
    kept_returns,
    liquidity,
    entered,
):
    """N runs (``entries``/``exits`` N × T, T >= 3, or with ``line`` not empty crossings
    of two of ``lines``, as ``engine._kernel.evaluate_runs`` takes them: run i enters where
    ``lines[line[i]]`` crosses above ``lines[other[i]]`` and exits where it crosses below,
    the bars being history indices ``offset`` on, without N × T signals; run i's
    entry-order prices are
    ``limits[price_row[i]]`` and ``stops_at[price_row[i]]``, K × T each, so runs share equal
    rows; the costs, fractions and setup of ``engine._scaling.step_inputs``; ``seconds`` the
    bars' times, ``day`` a day in their unit). Returns (N × ``N_STATS`` statistics, as
    ``engine._kernel.evaluate_runs`` returns them: final and first equity, mean, sample std
    and downside deviation of the bar returns, the largest fraction fallen from a running
    peak, the longest span under water, the units bought; N × 2S block sums then sums of
    squares of the bar returns over the S blocks ``edges`` bounds). With ``curves`` N × T
    and ``kept_returns`` N × (T - 1) (0 rows: none kept) each run's equity and bar returns
    are written there too. ``liquidity``: the bars' liquidity series
    (``engine.broker.step.with_liquidity``; 0 × 0: none). With ``entered`` N × 2 (0 rows:
    not wanted) each run's shares its entries were sized for and filled are written there
    (``engine.broker.step.entered``)."""
    crossing = line.size > 0
    n_runs, n_bars = (line.size if crossing else entries.shape[0]), close.size
    stats = np.empty((n_runs, N_STATS))
    blocks = np.empty((n_runs, 2 * (edges.size - 1)))
    keep, counted = curves.shape[0] > 0, entered.shape[0] > 0
    bars = (open_, high, low, close)
    for b in range((n_runs + RUNS_PER_BOOK - 1) // RUNS_PER_BOOK):
        state = _with_liquidity(
            _new_state(setup[MAX_ENTRIES], 5 * max(setup[MAX_ENTRIES], 1) + 8), liquidity
        )
        own_returns, own_curve = np.empty(n_bars - 1), np.empty(n_bars)
        enter, leave = np.empty(n_bars, dtype=np.bool_), np.empty(n_bars, dtype=np.bool_)
        for i in range(b * RUNS_PER_BOOK, min((b + 1) * RUNS_PER_BOOK, n_runs)):
            _start_run(state, costs[0])
            row = price_row[i]
            if crossing:
                _crossed(lines[line[i]], lines[other[i]], offset, enter, leave)
            else:
                enter, leave = entries[i], exits[i]
            signals = (enter, leave, limits[row], stops_at[row])
            returns = kept_returns[i] if keep else own_returns
            curve = curves[i] if keep else own_curve
            trades = _bars(state, i, signals, bars, costs, fractions, setup, curve)
            if counted:
                entered[i, 0], entered[i, 1] = _entered(state)
            track = _track_curve(curve, returns, seconds, day)
            first, final = curve[0], curve[n_bars - 1]
            _reduce_run(
                track, first, final, trades, returns, seconds, day, edges, stats[i], blocks[i]
            )
    return stats, blocks


evaluate_runs = njit(cache=True, nogil=True)(_evaluate_runs)
"""``_evaluate_runs`` compiled once, releasing the GIL: ``evaluate`` spreads a batch over the
cores (``engine._spread``). A second, parallel variant would also share this one's cache
entry, numba keying its cache by the function, not by its options."""

_PER_RUN = (0, 1, 3, 4, 8, 19, 20, 22)
"""``_evaluate_runs``' arguments with a row per run (entries, exits, line, other,
price_row, curves, kept_returns, entered), cut into each thread's range of runs; an empty
one (no signals: crossings; no curves kept) is passed whole."""


def evaluate(*args, parallel: bool) -> tuple:
    """``evaluate_runs`` of ``args``, each array as the one type the pass is compiled for
    (``engine.kernel_stamp.kernel_array``: C order, writable, its own dtype; a read-only
    one copied): numba types a read-only array apart, and a read-only row of prices or
    lines compiled a variant of the whole pass, tens of CPU-seconds in a Job or a test
    worker. With ``parallel`` the runs are cut into one range of whole books
    (``RUNS_PER_BOOK``) per thread and walked at once (``engine._spread``), their rows
    joined in order: each run's numbers are those it has alone."""
    as_kernels_take = kernel_stamp.kernel_array
    arrays = [as_kernels_take(a, a.dtype) if isinstance(a, np.ndarray) else a for a in args]
    n_runs = arrays[3].size if arrays[3].size > 0 else arrays[0].shape[0]
    ranges = _spread.run_ranges(n_runs, _spread.threads() if parallel else 1, RUNS_PER_BOOK)
    if len(ranges) < 2:  # one range, or no run: the pass's own empty rows
        return evaluate_runs(*arrays)

    def walk(lo: int, hi: int) -> tuple:
        cut = list(arrays)
        for k in _PER_RUN:
            if cut[k].shape[0] > 0:
                cut[k] = cut[k][lo:hi]
        return evaluate_runs(*cut)

    parts = _spread.spread(walk, ranges)
    return tuple(np.concatenate([done[k] for done in parts]) for k in range(2))


kernel_stamp.forget_stale(__name__, globals())
