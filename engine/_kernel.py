"""The compiled kernels (numba): one run's fill walk, and the one-pass
evaluation of N runs (signals → fills → equity → the statistics every stored metric
derives from), each combination in constant memory, the runs spread over the cores
(``engine._spread``).

Imported only when a caller has enough work for the compilation cache to pay
(``engine.kernels``): ``import numba`` costs ~0.2 CPU-s, more than a small run's whole
engine. Every kernel repeats the numpy path's arithmetic operation by operation
(``fastmath`` off), and its reductions follow numpy's pairwise summation order
(``pairwise_sum``), so a kernel's numbers equal the numpy path's bit for bit; the tests
compare both on many random cases.

Compiled code is cached on disk (``cache=True``) under ``NUMBA_CACHE_DIR``
(``config.process``); the image warms it at build time (``engine.compiled.warm``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from engine import _spread, kernel_stamp
from engine._pairwise import (
    DOWNSIDE_SQUARE,
    PLAIN,
    SQUARE,
    SQUARED_DEVIATION,
    pairwise,
    pairwise_sum,
)
from engine.broker.costs import BORROW, CLOSE_AT_END, INITIAL
from engine.broker.jitted import borrow_charge, fill

FALL_BLOCK = 8
"""Bars ``_largest_fall`` reduces at once: their highest and lowest in one pass, which the
compiler runs on vector registers, a bar at a time only for a block above the peak."""


@njit(cache=True, nogil=True, inline="always")
def _fall_step(value: float, peak: float, trough: float, drawdown: float) -> tuple:
    """One bar of the largest fall from a running peak: (peak, lowest value since it,
    largest fall found). The largest fall from a peak is at the lowest value before the
    next peak, so the division (peak - trough) / peak is made once per peak."""
    if value > peak:
        return value, value, max(drawdown, (peak - trough) / peak)
    if value < trough:
        return peak, value, drawdown
    return peak, trough, drawdown


@njit(cache=True, nogil=True)
def walk_one(prices: np.ndarray, sides: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """The fills of one run (``engine._simulate._walk_one`` compiled): 8 × E, the rows in
    ``_simulate.EVENT_FIELDS`` order."""
    out = np.empty((8, prices.size))
    cash, shares = costs[INITIAL], 0.0
    for k in range(prices.size):
        side = sides[k]
        close_price, close_fee, open_price, qty, open_fee, cash = fill(
            cash, shares, prices[k], side, costs
        )
        opened = side * qty
        out[0, k] = shares
        out[1, k] = close_price
        out[2, k] = close_fee
        out[3, k] = opened
        out[4, k] = open_price
        out[5, k] = open_fee
        out[6, k] = cash
        out[7, k] = opened
        shares = opened
    return out


# Columns of ``evaluate_runs``' statistics, per run.
FINAL, START, MEAN, STD, DOWNSIDE, DRAWDOWN, DRAWDOWN_DAYS, TRADES = range(8)
N_STATS = 8


@njit(cache=True, nogil=True)
def _one_run(
    entries: np.ndarray,
    exits: np.ndarray,
    line: np.ndarray,
    other: np.ndarray,
    offset: int,
    shared: tuple,
    stats: np.ndarray,
    blocks: np.ndarray,
    returns: np.ndarray,
    curve: np.ndarray,
) -> None:
    """One run of ``evaluate_runs`` (``shared`` its inputs from ``open_`` to ``edges``;
    ``returns`` takes its bar returns, ``curve`` its equity per bar unless empty):
    signals from ``entries``/``exits`` (``line`` empty) or
    from ``line`` crossing ``other`` (at history index
    ``offset`` + t, as ``rules.signals.cross_above``/``cross_below``: above now, at or
    below on the bar before; a comparison with NaN is false; history bar 0 never crosses).
    The bars in one loop (signals, fills, equity, bar returns, drawdown, spans under
    water), then the pairwise sums of the returns."""
    open_, close, seconds, day, costs, longonly, edges = shared
    n_bars = close.size
    crossing = line.size > 0
    was_at_most = was_at_least = False
    if crossing and offset > 0:
        was_at_most = line[offset - 1] <= other[offset - 1]
        was_at_least = line[offset - 1] >= other[offset - 1]
    cash, shares = costs[INITIAL], 0.0
    borrow, close_at_end = costs[BORROW], costs[CLOSE_AT_END] != 0.0
    previous, pending, trades, bust = 0, 0, 0, False
    first = cash  # bar 0 never fills: the initial capital
    before = value = first
    peak, trough, drawdown = first, first, 0.0
    longest, start = 0.0, -1
    keep = curve.size > 0
    for t in range(n_bars):
        if crossing:
            now, now_other = line[offset + t], other[offset + t]
            enter = (now > now_other) & was_at_most  # & not and: no branch per bar
            leave = (now < now_other) & was_at_least
            was_at_most = now <= now_other
            was_at_least = now >= now_other
        else:
            enter, leave = entries[t], exits[t]
        if bust:
            value = 0.0
        else:
            if pending != 0:
                side = float(pending - 2)
                _, _, _, qty, _, cash = fill(cash, shares, open_[t], side, costs)
                shares = side * qty
                if shares != 0.0:
                    trades += 1
                pending = 0
            if shares < 0.0 and borrow > 0.0:  # the short's borrow fee at this close
                cash -= borrow_charge(shares, close[t], borrow)
            value = cash + shares * close[t]
            if value <= 0.0:
                bust = True
                value = 0.0
            elif t == n_bars - 1 and close_at_end and shares != 0.0:
                _, _, _, _, _, cash = fill(cash, shares, open_[t], 0.0, costs)
                shares = 0.0
                value = cash + shares * close[t]
            if enter != leave:  # an entry and an exit on one bar conflict: ignored
                signal = 1 if enter else -1
                side_now = max(signal, 0) if longonly else signal
                if side_now != previous and t < n_bars - 1:
                    pending = side_now + 2  # +2: 0 means no pending change
                previous = side_now
        if keep:
            curve[t] = value
        if t > 0:
            # x / x is exactly 1: an unchanged equity needs no division
            returns[t - 1] = value / before - 1.0 if before > 0.0 and value != before else 0.0
        before = value
        peak, trough, drawdown = _fall_step(value, peak, trough, drawdown)
        if value < peak:
            if start < 0:
                start = t
        elif start >= 0:
            longest = max(longest, (seconds[t] - seconds[start - 1]) / day)
            start = -1
    track = (peak, trough, drawdown, start, longest)
    reduce_run(track, first, value, trades, returns, seconds, day, edges, stats, blocks)


@njit(cache=True, nogil=True)
def track_curve(equity: np.ndarray, returns: np.ndarray, seconds: np.ndarray, day: float) -> tuple:
    """An equity curve's bar returns (into ``returns``, T - 1) and what ``reduce_run`` reads
    of it, as ``_one_run`` tracks them bar by bar: (running peak, lowest value since it,
    largest fall found, first bar under water or -1, longest span under water in days)."""
    peak = trough = before = equity[0]
    drawdown, start, longest = 0.0, -1, 0.0
    for t in range(equity.size):
        value = equity[t]
        if t > 0:
            returns[t - 1] = value / before - 1.0 if before > 0.0 and value != before else 0.0
        before = value
        peak, trough, drawdown = _fall_step(value, peak, trough, drawdown)
        if value < peak:
            if start < 0:
                start = t
        elif start >= 0:
            longest = max(longest, (seconds[t] - seconds[start - 1]) / day)
            start = -1
    return peak, trough, drawdown, start, longest


@njit(cache=True, nogil=True)
def reduce_run(
    track: tuple,
    first: float,
    final: float,
    trades: int,
    returns: np.ndarray,
    seconds: np.ndarray,
    day: float,
    edges: np.ndarray,
    stats: np.ndarray,
    blocks: np.ndarray,
) -> None:
    """A run's statistics (``N_STATS``, into ``stats``) and block sums (into ``blocks``)
    from what its bars tracked (``track``, as ``track_curve`` returns it): ``returns``
    holds its T - 1 bar returns (T = ``seconds.size``), ``first`` and ``final`` its first
    and last equity, ``trades`` the trades it opened. The pairwise sums follow numpy's
    order."""
    peak, trough, drawdown, start, longest = track
    n_bars = seconds.size
    drawdown = max(drawdown, (peak - trough) / peak)
    if start >= 0:
        longest = max(longest, (seconds[n_bars - 1] - seconds[start - 1]) / day)
    n_returns = n_bars - 1
    nodes, left = np.empty((3, 64), dtype=np.int64), np.empty(64)  # the sums' stack
    mean = std = downside = np.nan
    if n_returns >= 1:
        mean = pairwise(returns, 0, n_returns, PLAIN, 0.0, nodes, left) / n_returns
        squares = pairwise(returns, 0, n_returns, DOWNSIDE_SQUARE, 0.0, nodes, left)
        downside = np.sqrt(squares / n_returns)
    if n_returns >= 2:
        deviations = pairwise(returns, 0, n_returns, SQUARED_DEVIATION, mean, nodes, left)
        std = np.sqrt(deviations / (n_returns - 1))
    stats[FINAL] = final
    stats[START] = first
    stats[MEAN] = mean
    stats[STD] = std
    stats[DOWNSIDE] = downside
    stats[DRAWDOWN] = drawdown
    stats[DRAWDOWN_DAYS] = longest
    stats[TRADES] = trades
    n_blocks = edges.size - 1
    for b in range(n_blocks):  # np.add.reduceat's order: the first value, then the rest
        lo, count = edges[b], edges[b + 1] - edges[b]
        blocks[b] = returns[lo] + pairwise(returns, lo + 1, count - 1, PLAIN, 0.0, nodes, left)
        first_square = returns[lo] * returns[lo]
        rest = pairwise(returns, lo + 1, count - 1, SQUARE, 0.0, nodes, left)
        blocks[n_blocks + b] = first_square + rest


def evaluate_runs(
    entries: np.ndarray,
    exits: np.ndarray,
    lines: np.ndarray,
    line: np.ndarray,
    other: np.ndarray,
    offset: int,
    curves: np.ndarray,
    kept_returns: np.ndarray,
    *shared: Any,
) -> tuple:
    """N runs without stops, one pass each, their signals either the rows of ``entries``/
    ``exits`` (N × T bool; ``line`` empty) or crossings of two of ``lines`` (K × H, over the
    signal history; ``entries`` N × 0): run i enters when ``lines[line[i]]`` crosses above
    ``lines[other[i]]`` and exits when it crosses below, the bars being history indices
    ``offset`` to ``offset + T - 1`` (no N × T signal arrays). Returns (N × ``N_STATS``
    statistics, N × 2S block sums then sums of squares of the bar returns over the S blocks
    ``edges`` bounds; S = 0 when ``edges`` has one element). With ``curves`` N × T and
    ``kept_returns`` N × max(T - 1, 1) (0 rows: none kept), each run's equity and bar returns
    are written there too: ``run_batch``'s ``equity`` and its ``bar_returns``, bit for bit.

    The statistics per run, the numpy path's values bit for bit: final and first equity,
    mean, sample std (ddof 1) and downside deviation of the bar returns, the largest
    fraction fallen from a running peak, the longest span under water (``seconds`` are the
    bars' times, ``day`` a day in the same unit), and the trades opened up to bankruptcy.

    ``shared`` are the inputs every run reads: ``open_``, ``close``, ``seconds``, ``day``,
    ``costs`` (``costs_array``), ``longonly`` and the block ``edges``.

    Crossings run in an order that reuses lines while they are in cache: by groups of 16
    ``other`` lines (16 rows of a few thousand bars stay in L2), then by ``line``. A batch
    of ``engine._spread.MIN_SPREAD_WORK`` bar-updates or more is cut into contiguous
    ranges of that order, one a thread, walked at once (``engine._spread``); each run's
    numbers are those it has alone.
    """
    close, edges = shared[1], shared[6]
    crossing = line.size > 0
    n_runs, n_bars = (line.size if crossing else entries.shape[0]), close.size
    stats = np.empty((n_runs, N_STATS))
    blocks = np.empty((n_runs, 2 * (edges.size - 1)))
    order = np.arange(n_runs)
    if crossing:
        order = np.argsort(other // 16 * lines.shape[0] + line, kind="stable")
    signals = (entries, exits, lines, line, other, offset, curves, kept_returns)
    work = n_runs * n_bars >= _spread.MIN_SPREAD_WORK
    ranges = _spread.run_ranges(n_runs, _spread.threads() if work else 1)
    _spread.spread(
        lambda lo, hi: _evaluate_order(order[lo:hi], stats, blocks, *signals, *shared), ranges
    )
    return stats, blocks


@njit(cache=True, nogil=True)
def _evaluate_order(
    order: np.ndarray,
    stats: np.ndarray,
    blocks: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    lines: np.ndarray,
    line: np.ndarray,
    other: np.ndarray,
    offset: int,
    curves: np.ndarray,
    kept_returns: np.ndarray,
    *shared: Any,
) -> None:
    """``evaluate_runs``' runs ``order`` (indices, in the order walked), each one's
    statistics written into its row of ``stats`` and ``blocks``."""
    n_bars = shared[1].size
    crossing = line.size > 0
    keep = curves.shape[0] > 0
    no_signal, no_line = np.empty(0, dtype=np.bool_), np.empty(0)
    for k in range(order.size):
        i = order[k]
        if crossing:
            enter, leave, a, b = no_signal, no_signal, lines[line[i]], lines[other[i]]
        else:
            enter, leave, a, b = entries[i], exits[i], no_line, no_line
        returns = kept_returns[i] if keep else np.empty(max(n_bars - 1, 1))
        curve = curves[i] if keep else no_line
        _one_run(enter, leave, a, b, offset, shared, stats[i], blocks[i], returns, curve)


@njit(cache=True, nogil=True, error_model="numpy")
def _bar_returns(equity: np.ndarray, returns: np.ndarray) -> bool:
    """The bar returns of ``equity`` into ``returns`` (its first T - 1 floats) as
    ``engine._stats.bar_returns`` computes them: the quotient on every bar, kept where the
    bar before is above 0 and the value moved, else 0; returns whether every value after
    the first is finite. A loop of its own, without a branch and with numpy's error model
    (no check of each divisor: a quotient not kept is never read), so the compiler divides
    several bars at a time; one division a bar was most of a long run's reduction."""
    finite = True
    for t in range(1, equity.size):
        before, value = equity[t - 1], equity[t]
        quotient = value / before - 1.0
        returns[t - 1] = quotient if (before > 0.0) & (value != before) else 0.0
        finite &= value - value == 0.0  # not NaN nor ±inf
    return finite


@njit(cache=True, nogil=True)
def _largest_fall(equity: np.ndarray) -> float:
    """The largest fall from a running peak of a finite ``equity`` curve, as a fraction of
    the peak (numpy's ``max((peak - equity) / peak)``, the same float). A block of
    ``FALL_BLOCK`` bars none of which passes the peak only lowers the trough, to the
    block's lowest, so it needs no bar-by-bar branch: on a curve under water or flat most
    of the time, a third of the bar-by-bar loop's time."""
    n_bars = equity.size
    peak = trough = equity[0]
    drawdown = 0.0
    t = 0
    while t + FALL_BLOCK <= n_bars:
        highest = lowest = equity[t]
        for k in range(t + 1, t + FALL_BLOCK):
            value = equity[k]
            highest = value if value > highest else highest
            lowest = value if value < lowest else lowest
        if highest > peak:
            for k in range(t, t + FALL_BLOCK):
                peak, trough, drawdown = _fall_step(equity[k], peak, trough, drawdown)
        elif lowest < trough:
            trough = lowest
        t += FALL_BLOCK
    for k in range(t, n_bars):
        peak, trough, drawdown = _fall_step(equity[k], peak, trough, drawdown)
    return max(drawdown, (peak - trough) / peak)


@njit(cache=True, nogil=True)
def reduce_curve(equity: np.ndarray, returns: np.ndarray) -> tuple:
    """(mean, sample std, largest fall from a running peak, whether every value is
    finite) of one equity curve, as ``engine._stats.core_metrics`` reduces it with numpy
    (bar returns as ``bar_returns``; numpy's figures differ for a curve not finite)."""
    n_bars = equity.size
    finite = _bar_returns(equity, returns) and equity[0] - equity[0] == 0.0
    drawdown = _largest_fall(equity)
    n_returns = n_bars - 1
    mean = pairwise_sum(returns, 0, n_returns, PLAIN, 0.0) / n_returns
    deviations = pairwise_sum(returns, 0, n_returns, SQUARED_DEVIATION, mean)
    return mean, np.sqrt(deviations / (n_returns - 1)), drawdown, finite


@njit(cache=True, nogil=True)
def reduce_curves(equity: np.ndarray) -> np.ndarray:
    """N × 3: per equity curve (N × T, T >= 3, finite, first value above 0) the mean and
    sample std of its bar returns and its largest fall from a running peak, bit for bit
    numpy's (``core_metrics``), in one pass per curve (on one thread: a long single run's
    curve, or a batch of long ones)."""
    return reduce_curves_into(equity, np.empty(equity.shape[1] - 1))[:, :3].copy()


@njit(cache=True, nogil=True)
def reduce_curves_into(equity: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """``reduce_curves`` with the bar returns written into ``returns`` (at least T - 1
    floats: a buffer its caller keeps, so a long curve's reduction touches no new
    memory), and a fourth column: 1 where the curve is finite, else 0 (the first three
    are numpy's then only where it is 1)."""
    n_runs = equity.shape[0]
    out = np.empty((n_runs, 4))
    for i in range(n_runs):
        mean, std, drawdown, finite = reduce_curve(equity[i], returns)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = mean, std, drawdown, 1.0 if finite else 0.0
    return out


@njit(cache=True, nogil=True)
def fill_paths(
    offsets: np.ndarray,
    bars: np.ndarray,
    cash_after: np.ndarray,
    shares_after: np.ndarray,
    close: np.ndarray,
    initial_capital: float,
    cash: np.ndarray,
    position: np.ndarray,
    equity: np.ndarray,
    bust_bar: np.ndarray,
) -> None:
    """``engine._simulate.paths`` of runs whose fills are rows ``offsets[i]`` to
    ``offsets[i + 1]`` (``bars``: each fill's bar, in order; ``cash_after``,
    ``shares_after``: the run's cash and shares after it), in one pass per run writing
    ``cash``, ``position`` and ``equity`` (N × T) and ``bust_bar`` (N): on each bar the cash
    and shares after its last fill up to it (the initial capital and none before the
    first), the equity shares × close + cash, and from the first close where the equity is
    0 or less (the bust bar, else -1) 0 in all three. The same floats as the numpy path
    (which repeats each fill's cash and shares over its bars), in one pass and no
    temporary array."""
    n_runs, n_bars = equity.shape
    for i in range(n_runs):
        k, end = offsets[i], offsets[i + 1]
        held_cash, held = initial_capital, 0.0
        bust = -1
        for t in range(n_bars):
            while k < end and bars[k] <= t:
                held_cash, held = cash_after[k], shares_after[k]
                k += 1
            value = held * close[t]
            value += held_cash
            if value <= 0.0:
                bust = t
                break
            cash[i, t], position[i, t], equity[i, t] = held_cash, held, value
        bust_bar[i] = bust
        if bust >= 0:
            for t in range(bust, n_bars):
                cash[i, t], position[i, t], equity[i, t] = 0.0, 0.0, 0.0


@njit(cache=True, nogil=True)
def gather_rows(table: np.ndarray, order: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """C × R: the columns ``columns`` (C indices) of ``table`` (R' × C') with its rows
    ``order`` (R indices), each column contiguous: ``table.take(order, axis=0)``'s columns
    copied, in one pass."""
    n_rows, n_columns = order.shape[0], columns.shape[0]
    out = np.empty((n_columns, n_rows))
    for i in range(n_rows):
        row = order[i]
        for k in range(n_columns):
            out[k, i] = table[row, columns[k]]
    return out


@njit(cache=True, nogil=True)
def trade_key(table: np.ndarray, entry_column: int, exit_column: int, last: int) -> tuple:
    """(each row's key of the trade order, entry bar × (``last`` + 2) + exit bar, a unit
    still held (exit bar < 0) as ``last`` + 1: ``engine._scaling._trade_order``'s value for
    value; whether the keys never decrease) of ``table``'s rows, read where they lie (the
    step's row-major book or a unit table's columns: one compiled form for each layout)."""
    n = table.shape[0]
    key = np.empty(n)
    width, held = float(last + 2), float(last + 1)
    ordered = True
    for i in range(n):
        exit_bar = table[i, exit_column]
        key[i] = table[i, entry_column] * width + (held if exit_bar < 0 else exit_bar)
        if i and key[i] < key[i - 1]:
            ordered = False
    return key, ordered


@njit(cache=True, nogil=True)
def unit_trade_columns(
    entry_bar: np.ndarray,
    exit_bar: np.ndarray,
    side: np.ndarray,
    size: np.ndarray,
    entry_price: np.ndarray,
    exit_price: np.ndarray,
    entry_fee: np.ndarray,
    exit_fee: np.ndarray,
    reason: np.ndarray,
    added: tuple,
    borrow: np.ndarray,
    ends: tuple,
) -> tuple:
    """The trades of a unit table's columns in trade order (``engine._scaling.unit_trades``)
    in one pass: (entry bar, exit bar, direction, size, as int64; the exit price; the reason,
    int8; the PnL), each value by the float operations numpy's arrays of them take, in the
    same order. A unit with no exit bar (< 0) is held at the end: its exit is bar ``last``
    at ``last_close`` with reason ``end_reason`` (``ends``: those three). ``added`` (the
    dividends and the cash in lieu, or two empty arrays: no corporate action) is added to
    each PnL, ``borrow`` (empty: not charged) taken from it."""
    last, last_close, end_reason = ends
    n = entry_bar.shape[0]
    events, borrows = added[0].shape[0] > 0, borrow.shape[0] > 0
    entries, exits, direction = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    shares, prices = np.empty(n, np.int64), np.empty(n)
    reasons, pnl = np.empty(n, np.int8), np.empty(n)
    for i in range(n):
        held = exit_bar[i] < 0
        price = last_close if held else exit_price[i]
        value = side[i] * size[i] * (price - entry_price[i]) - entry_fee[i] - exit_fee[i]
        if events:
            value = value + added[0][i] + added[1][i]
        if borrows:
            value = value - borrow[i]
        pnl[i], prices[i] = value, price
        reasons[i] = end_reason if held else np.int8(reason[i])
        entries[i] = np.int64(entry_bar[i])
        exits[i] = last if held else np.int64(exit_bar[i])
        direction[i], shares[i] = np.int64(side[i]), np.int64(size[i])
    return entries, exits, direction, shares, prices, reasons, pnl


kernel_stamp.forget_stale(__name__, globals())
