"""The compiled kernels (numba): the fill step, one run's fill walk, and the one-pass
evaluation of N runs (signals → fills → equity → the statistics every stored metric
derives from), each combination in constant memory, rows spread over the cores.

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

import numpy as np
from numba import njit, prange

_PAIRWISE_BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: the largest run summed with eight accumulators."""

# The costs array ``costs`` holds the fill step's parameters, in this order.
INITIAL, SLIP, FEE_RATE, FEE_FACTOR, BY_VALUE, POSITION_SIZE, FRACTION = range(7)


@njit(cache=True, nogil=True)
def _leaf_sum(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's sum of at most ``_PAIRWISE_BLOCK`` values: a plain loop under 8, else eight
    accumulators combined pairwise and the rest added in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    whole = n - n % 8
    while i < whole:
        at = lo + i
        r0 += a[at]
        r1 += a[at + 1]
        r2 += a[at + 2]
        r3 += a[at + 3]
        r4 += a[at + 4]
        r5 += a[at + 5]
        r6 += a[at + 6]
        r7 += a[at + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _split(n: int) -> int:
    """Where numpy's pairwise sum cuts ``n`` values: half, rounded down to a multiple of 8."""
    half = n // 2
    return half - half % 8


@njit(cache=True, nogil=True)
def pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:
    """``a[lo:lo + n].sum()`` in numpy's order (its ``pairwise_sum`` of float64: halves
    summed apart down to blocks of ``_PAIRWISE_BLOCK``), so
    ``pairwise_sum(a, 0, a.size) + 0.0 == a.sum()`` bit for bit.

    The recursion runs on an explicit stack: numba's cache cannot reload a recursive
    function called from another cached one."""
    if n <= _PAIRWISE_BLOCK:
        return _leaf_sum(a, lo, n)
    starts = np.empty(64, dtype=np.int64)
    counts = np.empty(64, dtype=np.int64)
    state = np.empty(64, dtype=np.int64)  # 0: to split, 1: left pending, 2: right pending
    left = np.empty(64)
    starts[0], counts[0], state[0] = lo, n, 0
    depth = 1
    while True:
        top = depth - 1
        if counts[top] > _PAIRWISE_BLOCK:
            state[top] = 1
            starts[depth], counts[depth], state[depth] = starts[top], _split(counts[top]), 0
            depth += 1
            continue
        value = _leaf_sum(a, starts[top], counts[top])
        depth -= 1
        while depth > 0:
            parent = depth - 1
            if state[parent] == 1:
                left[parent] = value
                state[parent] = 2
                half = _split(counts[parent])
                starts[depth] = starts[parent] + half
                counts[depth] = counts[parent] - half
                state[depth] = 0
                depth += 1
                break
            value = left[parent] + value
            depth -= 1
        if depth == 0:
            return value


@njit(cache=True, nogil=True, inline="always")
def fill(cash: float, shares: float, price: float, side: float, costs: np.ndarray) -> tuple:
    """``engine._simulate._fill`` compiled: close ``shares`` at ``price``, then open
    ``side``. Returns (close_price, close_fee, open_price, qty, open_fee, cash after)."""
    fee_rate = costs[FEE_RATE]
    close_price = price * (1.0 - np.sign(shares) * costs[SLIP])
    close_fee = abs(shares) * close_price * fee_rate
    cash_flat = cash + shares * close_price - close_fee
    open_price = price * (1.0 + side * costs[SLIP])
    if costs[BY_VALUE] != 0.0:
        budget = min(costs[POSITION_SIZE], cash_flat)
    else:
        budget = cash_flat * costs[FRACTION]
    qty = np.floor(budget / (open_price * costs[FEE_FACTOR]))
    if qty * open_price + qty * open_price * fee_rate > budget:
        qty = qty - 1.0
    if not (side != 0.0 and qty > 0.0):
        qty = 0.0
    notional = qty * open_price
    open_fee = notional * fee_rate
    return close_price, close_fee, open_price, qty, open_fee, cash_flat - side * notional - open_fee


@njit(cache=True, nogil=True)
def walk_one(prices: np.ndarray, sides: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """The fills of one run (``engine._simulate._walk_one`` compiled): 8 × E, the rows in
    ``_simulate._EVENT_FIELDS`` order."""
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
    open_: np.ndarray,
    close: np.ndarray,
    seconds: np.ndarray,
    day: float,
    costs: np.ndarray,
    longonly: bool,
    edges: np.ndarray,
    stats: np.ndarray,
    blocks: np.ndarray,
    returns: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """One run of ``evaluate_runs``: the bars in one loop (fills, equity, bar returns and
    their downside squares, drawdown, spans under water), then the pairwise sums."""
    n_bars = close.size
    cash, shares = costs[INITIAL], 0.0
    previous, pending, trades, bust = 0, 0, 0, False
    first = cash + shares * close[0]  # bar 0 never fills: the initial capital
    before = first
    peak, trough, drawdown = first, first, 0.0
    longest, start = 0.0, -1
    value = first
    for t in range(n_bars):
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
            value = cash + shares * close[t]
            if value <= 0.0:
                bust = True
                value = 0.0
            if entries[t] != exits[t]:  # an entry and an exit on one bar conflict: ignored
                signal = 1 if entries[t] else -1
                side_now = max(signal, 0) if longonly else signal
                if side_now != previous and t < n_bars - 1:
                    pending = side_now + 2  # +2: 0 means no pending change
                previous = side_now
        if t > 0:
            # x / x is exactly 1: an unchanged equity needs no division
            change = value / before - 1.0 if before > 0.0 and value != before else 0.0
            returns[t - 1] = change
            low = min(change, 0.0)
            scratch[t - 1] = low * low
        before = value
        # The largest fall from a peak is at the lowest value before the next peak: the
        # division (peak - value) / peak is made once per peak, not once per bar.
        if value > peak:
            drawdown = max(drawdown, (peak - trough) / peak)
            peak, trough = value, value
        elif value < trough:
            trough = value
        if value < peak:
            if start < 0:
                start = t
        elif start >= 0:
            longest = max(longest, (seconds[t] - seconds[start - 1]) / day)
            start = -1
    drawdown = max(drawdown, (peak - trough) / peak)
    if start >= 0:
        longest = max(longest, (seconds[n_bars - 1] - seconds[start - 1]) / day)

    n_returns = n_bars - 1
    mean = np.nan
    std = np.nan
    downside = np.nan
    if n_returns >= 1:
        mean = pairwise_sum(returns, 0, n_returns) / n_returns
        downside = np.sqrt(pairwise_sum(scratch, 0, n_returns) / n_returns)
    if n_returns >= 2:
        for t in range(n_returns):
            deviation = returns[t] - mean
            scratch[t] = deviation * deviation
        std = np.sqrt(pairwise_sum(scratch, 0, n_returns) / (n_returns - 1))

    stats[FINAL] = value
    stats[START] = first
    stats[MEAN] = mean
    stats[STD] = std
    stats[DOWNSIDE] = downside
    stats[DRAWDOWN] = drawdown
    stats[DRAWDOWN_DAYS] = longest
    stats[TRADES] = trades
    n_blocks = edges.size - 1
    for b in range(n_blocks):
        lo, count = edges[b], edges[b + 1] - edges[b]
        blocks[b] = returns[lo] + pairwise_sum(returns, lo + 1, count - 1)
        for t in range(lo, lo + count):
            scratch[t] = returns[t] * returns[t]
        blocks[n_blocks + b] = scratch[lo] + pairwise_sum(scratch, lo + 1, count - 1)


@njit(cache=True, parallel=True)
def evaluate_runs(
    entries: np.ndarray,
    exits: np.ndarray,
    open_: np.ndarray,
    close: np.ndarray,
    seconds: np.ndarray,
    day: float,
    costs: np.ndarray,
    longonly: bool,
    edges: np.ndarray,
) -> tuple:
    """N runs (rows of ``entries``/``exits``, N × T bool) without stops, one pass each:
    returns (N × ``N_STATS`` statistics, N × 2S block sums then sums of squares of the bar
    returns over the S blocks ``edges`` bounds; S = 0 when ``edges`` has one element).

    The statistics per run, the numpy path's values bit for bit: final and first equity,
    mean, sample std (ddof 1) and downside deviation of the bar returns, the largest
    fraction fallen from a running peak, the longest span under water (``seconds`` are the
    bars' times, ``day`` a day in the same unit), and the trades opened up to bankruptcy.
    """
    n_runs, n_bars = entries.shape
    stats = np.empty((n_runs, N_STATS))
    n_blocks = edges.size - 1
    blocks = np.empty((n_runs, 2 * n_blocks))
    for i in prange(n_runs):
        returns = np.empty(max(n_bars - 1, 1))
        scratch = np.empty(max(n_bars - 1, 1))
        _one_run(
            entries[i],
            exits[i],
            open_,
            close,
            seconds,
            day,
            costs,
            longonly,
            edges,
            stats[i],
            blocks[i],
            returns,
            scratch,
        )
    return stats, blocks


@njit(cache=True, nogil=True)
def _crossings(
    line: np.ndarray, other: np.ndarray, offset: int, entries: np.ndarray, exits: np.ndarray
) -> None:
    """``entries``/``exits`` of one run from two lines over the signal history: bar t (at
    history index ``offset`` + t) enters when ``line`` crosses above ``other`` (above now,
    at or below on the bar before) and exits when it crosses below; any comparison with
    NaN is false, and history bar 0 never crosses (``rules.signals.cross_above``)."""
    was_at_most = was_at_least = False  # history bar 0 has no bar before: never a cross
    if offset > 0:
        was_at_most = line[offset - 1] <= other[offset - 1]
        was_at_least = line[offset - 1] >= other[offset - 1]
    for t in range(entries.size):
        now, now_other = line[offset + t], other[offset + t]
        entries[t] = (now > now_other) & was_at_most  # & not and: no branch per bar
        exits[t] = (now < now_other) & was_at_least
        was_at_most = now <= now_other
        was_at_least = now >= now_other


@njit(cache=True, parallel=True)
def evaluate_crossings(
    lines: np.ndarray,
    line: np.ndarray,
    other: np.ndarray,
    offset: int,
    open_: np.ndarray,
    close: np.ndarray,
    seconds: np.ndarray,
    day: float,
    costs: np.ndarray,
    longonly: bool,
    edges: np.ndarray,
) -> tuple:
    """``evaluate_runs`` for N runs whose signals are crossings of two of ``lines`` (K × H,
    over the signal history): run i enters when ``lines[line[i]]`` crosses above
    ``lines[other[i]]`` and exits when it crosses below, the bars being history indices
    ``offset`` to ``offset + T - 1``. Each run's signals are made in its own pass, in cache,
    instead of N × T arrays."""
    n_runs, n_bars = line.size, close.size
    stats = np.empty((n_runs, N_STATS))
    n_blocks = edges.size - 1
    blocks = np.empty((n_runs, 2 * n_blocks))
    # Runs in an order that reuses lines while they are in cache: by groups of 16 ``other``
    # lines (16 rows of a few thousand bars stay in L2), then by ``line``.
    order = np.argsort(other // 16 * lines.shape[0] + line, kind="mergesort")
    for k in prange(n_runs):
        i = order[k]
        entries = np.empty(n_bars, dtype=np.bool_)
        exits = np.empty(n_bars, dtype=np.bool_)
        _crossings(lines[line[i]], lines[other[i]], offset, entries, exits)
        returns = np.empty(max(n_bars - 1, 1))
        scratch = np.empty(max(n_bars - 1, 1))
        _one_run(
            entries,
            exits,
            open_,
            close,
            seconds,
            day,
            costs,
            longonly,
            edges,
            stats[i],
            blocks[i],
            returns,
            scratch,
        )
    return stats, blocks
