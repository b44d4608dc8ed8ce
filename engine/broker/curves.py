"""N runs through the broker's step, each reduced to its core metrics' inputs in the same
pass (numba, rows spread over the cores): a batch's or a sweep's walked runs when only
their metrics and equity are wanted, not their fills.

``evaluate_runs`` steps each run with ``engine.broker.step.step`` (the very function
``walk_runs`` and a Python driver call), marks the equity on every close as
``engine._simulate.paths`` does (cash + shares × close; from a close where it is 0 or less,
0: the bust rule), closes what is held at the last open with ``close_at_end``
(``engine.broker.step.finish``) and reduces the curve with ``engine._kernel.reduce_curve``
(numpy's order), so its metrics equal those built from the step's fills bit for bit. The
step's tables of fills, closed units and orders are emptied every bar (a pending order
kept): only the book's state is read.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine import _kernel, kernel_stamp
from engine.broker import step as broker_step

FINAL, MEAN, STD, DRAWDOWN, TRADES = range(5)
N_STATS = 5
"""Columns of ``evaluate_runs``' statistics, per run."""

_reduce_curve = _kernel.reduce_curve
_step, _finish, _new_state, _start_run = (
    broker_step.step,
    broker_step.finish,
    broker_step.new_state,
    broker_step.start_run,
)
CASH, SHARES = broker_step.CASH, broker_step.SHARES
N_ROWS, N_DONE, N_ORDERS, ORDER = (
    broker_step.N_ROWS,
    broker_step.N_DONE,
    broker_step.N_ORDERS,
    broker_step.ORDER,
)
NEXT_ID, MAX_ENTRIES = broker_step.NEXT_ID, broker_step.MAX_ENTRIES
CLOSE_AT_END = broker_step.CLOSE_AT_END


@njit(cache=True, nogil=True)
def _walk(i, enter, leave, limits, stops_at, bars, costs, fractions, setup, equity) -> int:
    """Run ``i``: fills ``equity`` (T) and returns the units it bought up to its bust."""
    state = _new_state(setup[MAX_ENTRIES], 3 * max(setup[MAX_ENTRIES], 1) + 6)
    _start_run(state, costs[0])
    return _bars(state, i, enter, leave, limits, stops_at, bars, costs, fractions, setup, equity)


@njit(cache=True, nogil=True, _nrt=False)
def _bars(state, i, enter, leave, limits, stops_at, bars, costs, fractions, setup, equity):
    """``_walk``'s bars, allocating nothing: without numba's reference counting, whose
    atomic counts on the state's arrays every bar would cost more than the step."""
    open_, high, low, close = bars
    n_bars = close.size
    last = n_bars - 1
    fs, ns, book = state[0], state[1], state[5]
    for bar in range(n_bars):
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
        value = fs[CASH] + fs[SHARES] * close[bar]
        if value <= 0.0:  # bust: 0 from this close on
            for t in range(bar, n_bars):
                equity[t] = 0.0
            break
        if bar == last and setup[CLOSE_AT_END]:
            ns[N_ROWS], ns[N_DONE], ns[N_ORDERS] = 0, 0, 0
            _finish(state, i, last, open_[last], costs, setup)
            value = fs[CASH] + fs[SHARES] * close[bar]
        equity[bar] = value
    return ns[NEXT_ID]


def _evaluate_runs(
    entries,
    exits,
    limits,
    stops_at,
    price_row,
    open_,
    high,
    low,
    close,
    costs,
    fractions,
    setup,
    keep_equity,
):
    """N runs (``entries``/``exits`` N × T; run i's entry-order prices are
    ``limits[price_row[i]]`` and ``stops_at[price_row[i]]``, K × T each, so runs share equal
    rows; the costs, fractions and setup of ``engine._scaling.step_inputs``). Returns (N ×
    ``N_STATS``: final equity, mean and sample std of the bar returns, the largest fraction
    fallen from a running peak (T >= 3) and the units bought; the N × T equity when
    ``keep_equity``, else 0 × T)."""
    n_runs, n_bars = entries.shape
    out = np.empty((n_runs, N_STATS))
    kept = np.empty((n_runs if keep_equity else 0, n_bars))
    for i in prange(n_runs):
        equity = kept[i] if keep_equity else np.empty(n_bars)
        returns = np.empty(n_bars - 1)
        trades = _walk(
            i,
            entries[i],
            exits[i],
            limits[price_row[i]],
            stops_at[price_row[i]],
            (open_, high, low, close),
            costs,
            fractions,
            setup,
            equity,
        )
        mean, std, drawdown = _reduce_curve(equity, returns)
        out[i, FINAL] = equity[n_bars - 1]
        out[i, MEAN] = mean
        out[i, STD] = std
        out[i, DRAWDOWN] = drawdown
        out[i, TRADES] = trades
    return out, kept


evaluate_runs = njit(cache=True, parallel=True)(_evaluate_runs)
"""``_evaluate_runs`` with the rows spread over the cores."""
evaluate_serial = njit(cache=True)(_evaluate_runs)
"""``_evaluate_runs`` on one thread: a batch too small to pay for waking the threads (and
a process that may fork after it: GNU OpenMP's threads do not survive a fork)."""


def evaluate(*args, parallel: bool) -> tuple:
    """``evaluate_runs`` (``parallel``) or ``evaluate_serial`` of ``args``."""
    return (evaluate_runs if parallel else evaluate_serial)(*args)


kernel_stamp.forget_stale(__name__, globals())
