"""The liquidity inputs' trailing windows compiled (numba): ``engine.liquidity``'s mean and
sample standard deviation of the ``count`` values before each bar, each window summed in
numpy's own order, so every value equals the numpy path's bit for bit
(tests/engine/test_liquidity_compiled.py holds them equal over random series).

numpy's ``windows.mean(axis=1)`` (``windows`` a sliding view, a row per bar) is each row's
pairwise sum (``engine._pairwise.pairwise_sum``: up to 128 values in eight accumulators
r0 .. r7, rj = x[j] + x[j + 8] + … in order, combined ((r0 + r1) + (r2 + r3)) + ((r4 +
r5) + (r6 + r7)), the rest added in order; longer rows in halves summed apart), added to
the reduction's initial 0.0, divided by ``count``. ``windows.std(axis=1, ddof=1)`` is that
mean, then the same sum of the squared deviations from it (numpy builds ``x - mean``, then
``x * x``; here each is made on the fly: the same values, added in the same order), divided
by ``count - 1``, then its square root.

A row's order of additions depends on ``count`` only, so the rows are summed side by side:
each addition is done for a block of rows at once (the machine's vector units), in each
row numpy's order. The mean's accumulators are shared: rj of the row starting at s is the
strided sum starting at s + j, the same for every row, so each is summed once
(``window_sums``; over 128 values, by halves, as numpy does). The squared deviations of rows
of more than 128 values go through ``engine._pairwise``'s pairwise sum one by one.

One bar's two windows alone (``volatility_and_adv_at``) are summed by ``engine._pairwise``'s
pairwise sum, from the same values: the broker's step computes them where a run fills
(``engine.broker.liquid.series`` with ``lazy``), not for every bar.

Called by ``engine.liquidity`` once numba is loaded (a run with a liquidity field walks
the compiled step anyway); cached on disk like the other kernels and warmed with them
(``engine.compiled.warm``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine import kernel_stamp
from engine._pairwise import (
    PAIRWISE_BLOCK,
    PLAIN,
    SQUARED_DEVIATION,
    leaf_sum,
    pairwise,
    pairwise_split,
)

_ROWS = 512
"""Rows whose squared deviations are summed side by side: their eight accumulators (8 ×
512 floats) stay in the first-level cache."""

_value = njit(cache=True, nogil=True, inline="always")
"""The definitions of a window's values, shared by the rows (``volatility_and_adv``) and
the one bar (``volatility_and_adv_at``)."""
_lazy = njit(cache=True, nogil=True, _nrt=False)


@_value
def _usable_price(price: float) -> float:
    """A close that is a positive finite number, else NaN."""
    return price if np.isfinite(price) and price > 0.0 else np.nan


@_value
def _usable_volume(volume: float) -> float:
    """A volume that is >= 0, else NaN."""
    return volume if volume >= 0.0 else np.nan


@_value
def _simple_return(before: float, price: float) -> float:
    """The simple return of a close against the one before it."""
    return price / before - 1.0


@_value
def _mean_of(total: float, count: int) -> float:
    """A window's mean from numpy's sum of its ``count`` values (before the reduction's
    initial 0.0, added here)."""
    return (0.0 + total) / count


@_value
def _std_of(squares: float, count: int) -> float:
    """A window's sample standard deviation (ddof=1) from numpy's sum of its ``count``
    squared deviations from its mean (+ 0.0 left out: the squares are never -0.0)."""
    return np.sqrt(squares / (count - 1))


def halves(count: int) -> np.ndarray:
    """numpy's pairwise order of a sum of ``count`` values, as a program for
    ``window_sums``: rows (offset, size) of its runs of at most 128 values, each summed in
    one piece, and (-1, 0) where the last two sums are added (left + right), in the order
    numpy adds them (its halves split at ``engine._pairwise.pairwise_split``)."""
    if count <= PAIRWISE_BLOCK:
        return np.array([[0, count]], dtype=np.int64)
    half = int(pairwise_split(count))
    right = halves(count - half)
    right[right[:, 0] >= 0, 0] += half
    return np.vstack([halves(half), right, np.array([[-1, 0]], dtype=np.int64)])


@njit(cache=True, nogil=True)
def window_sums(values: np.ndarray, count: int, plan: np.ndarray) -> np.ndarray:
    """numpy's sum of each row ``values[s .. s + count - 1]``, s < ``values.size - count``
    (``count`` >= 1), before the reduction's initial 0.0 is added; ``plan`` is
    ``halves(count)``: each run summed for every row at once, the sums added as numpy
    adds them."""
    m = values.size - count
    if plan.shape[0] == 1:
        return _leaf_sums(values, count)
    sums, top = np.empty((plan.shape[0], m)), 0
    for k in range(plan.shape[0]):
        offset, size = plan[k, 0], plan[k, 1]
        if offset >= 0:
            sums[top] = _leaf_sums(values[offset : offset + m + size], size)
            top += 1
        else:
            sums[top - 2] = sums[top - 2] + sums[top - 1]
            top -= 1
    return sums[0]


@njit(cache=True, nogil=True)
def _leaf_sums(values: np.ndarray, count: int) -> np.ndarray:
    """``window_sums`` of ``count`` <= 128 values: a plain loop under 8, else the eight
    strided accumulators (one column each, shared by every row) combined pairwise, the rest
    added in order."""
    m = values.size - count
    if count < 8:  # a plain loop from 0.0
        sums = np.zeros(m)
        for i in range(count):
            for s in range(m):
                sums[s] += values[s + i]
        return sums
    whole = count - count % 8
    strided = values[: m + 7].copy()  # the sum of values[s], values[s + 8] … of a row
    for i in range(8, whole, 8):
        for s in range(m + 7):
            strided[s] += values[s + i]
    for step, span in ((1, m + 6), (2, m + 4), (4, m)):  # the accumulators' pairwise tree
        for s in range(span):
            strided[s] = strided[s] + strided[s + step]
    for i in range(whole, count):
        for s in range(m):
            strided[s] += values[s + i]
    return strided[:m]


@njit(cache=True, nogil=True)
def _squared_deviations(values, count, first, rows, means, acc, out) -> None:
    """``out[b]``, b < ``rows``: numpy's sum of (x - ``means[b]``)² over the row
    ``values[first + b ..][:count]`` (``count`` <= 128), 8 × ``_ROWS`` ``acc`` its
    accumulators."""
    if count < 8:
        out[:rows] = 0.0
        for i in range(count):
            row = values[first + i : first + i + rows]
            for b in range(rows):
                d = row[b] - means[b]
                out[b] += d * d
        return
    whole = count - count % 8
    for i in range(whole):
        into, row = acc[i % 8], values[first + i : first + i + rows]
        if i < 8:
            for b in range(rows):
                d = row[b] - means[b]
                into[b] = d * d
        else:
            for b in range(rows):
                d = row[b] - means[b]
                into[b] += d * d
    for b in range(rows):
        out[b] = ((acc[0, b] + acc[1, b]) + (acc[2, b] + acc[3, b])) + (
            (acc[4, b] + acc[5, b]) + (acc[6, b] + acc[7, b])
        )
    for i in range(whole, count):
        row = values[first + i : first + i + rows]
        for b in range(rows):
            d = row[b] - means[b]
            out[b] += d * d


@njit(cache=True, nogil=True)
def trailing_mean(values: np.ndarray, count: int, plan: np.ndarray) -> np.ndarray:
    """At bar t the mean of ``values[t - count .. t - 1]`` (``count`` >= 1), numpy's
    ``sliding_window_view(values, count).mean(axis=1)``; NaN for t < count."""
    out = np.empty(values.size)
    _mean_into(values, count, plan, out)
    return out


@njit(cache=True, nogil=True)
def trailing_std(values: np.ndarray, count: int, plan: np.ndarray) -> np.ndarray:
    """At bar t the sample standard deviation of ``values[t - count .. t - 1]`` (``count``
    >= 2), numpy's ``sliding_window_view(values, count).std(axis=1, ddof=1)``; NaN for
    t < count."""
    out = np.empty(values.size)
    _std_into(values, count, plan, out)
    return out


@njit(cache=True, nogil=True)
def volatility_and_adv(
    close: np.ndarray, volume: np.ndarray, window: int, plan: np.ndarray
) -> tuple:
    """``engine.liquidity``'s (``trailing_volatility``, ``trailing_adv``) of ``window`` in
    one call: a price that is not a positive finite number and a volume that is not >= 0
    made NaN, the simple returns, then their windows, as the numpy path does them."""
    n = close.size
    returns, clean = np.empty(n), np.empty(n)
    before = np.nan
    for j in range(n):
        price = _usable_price(close[j])
        returns[j] = _simple_return(before, price) if j > 0 else np.nan
        before = price
        clean[j] = _usable_volume(volume[j])
    sigma, adv = np.empty(n), np.empty(n)
    _std_into(returns, window, plan, sigma)
    _mean_into(clean, window, plan, adv)
    return sigma, adv


@_lazy
def volatility_and_adv_at(
    close: np.ndarray, volume: np.ndarray, t: int, window: int, scratch: np.ndarray, nodes
) -> tuple:
    """``volatility_and_adv``'s (sigma, adv) at the one bar ``t`` (0 <= t < ``close.size``),
    its two windows alone: the same values, bit for bit (each window summed in numpy's
    order by ``engine._pairwise``'s pairwise sum, the values made as above). ``scratch``
    (64 + 2 × ``window`` floats) and ``nodes`` (3 × 64 int64) are the sums' room: nothing
    is allocated, so the broker's step calls it at the bars it fills on
    (``engine.broker.step``)."""
    left = scratch[:64]
    volumes, returns = scratch[64 : 64 + window], scratch[64 + window : 64 + 2 * window]
    if t < window:
        return np.nan, np.nan
    start = t - window
    before = _usable_price(close[start - 1]) if start > 0 else np.nan  # bar 0: no return
    for k in range(window):
        volumes[k] = _usable_volume(volume[start + k])
        price = _usable_price(close[start + k])
        returns[k] = _simple_return(before, price)
        before = price
    adv = _mean_of(_window_sum(volumes, window, PLAIN, 0.0, nodes, left), window)
    mean = _mean_of(_window_sum(returns, window, PLAIN, 0.0, nodes, left), window)
    squares = _window_sum(returns, window, SQUARED_DEVIATION, mean, nodes, left)
    return _std_of(squares, window), adv


_leaf = njit(cache=True, nogil=True, inline="always")(leaf_sum.py_func)
"""``engine._pairwise.leaf_sum`` inlined, its ``mode`` a constant where it is called."""


@njit(cache=True, nogil=True, _nrt=False, inline="always")
def _window_sum(values, count, mode, center, nodes, left) -> float:
    """``engine._pairwise``'s pairwise sum of ``values[:count]``."""
    if count <= PAIRWISE_BLOCK:
        return _leaf(values, 0, count, mode, center)
    return pairwise(values, 0, count, mode, center, nodes, left)


@njit(cache=True, nogil=True)
def _mean_into(values: np.ndarray, count: int, plan: np.ndarray, out: np.ndarray) -> None:
    n = values.size
    out[: min(count, n)] = np.nan
    if n <= count:
        return
    sums = window_sums(values, count, plan)
    for s in range(n - count):
        out[count + s] = _mean_of(sums[s], count)


@njit(cache=True, nogil=True)
def _std_into(values: np.ndarray, count: int, plan: np.ndarray, out: np.ndarray) -> None:
    _mean_into(values, count, plan, out)  # the windows' means first, where their std goes
    m = values.size - count
    if m <= 0:
        return
    means = out[count:]
    squares = np.empty(m)
    if count > PAIRWISE_BLOCK:
        nodes, left = np.empty((3, 64), dtype=np.int64), np.empty(64)
        for s in range(m):
            squares[s] = pairwise(values, s, count, SQUARED_DEVIATION, means[s], nodes, left)
    else:
        acc = np.empty((8, _ROWS))
        for first in range(0, m, _ROWS):
            rows = min(_ROWS, m - first)
            block = means[first : first + rows]
            _squared_deviations(values, count, first, rows, block, acc, squares[first:])
    for s in range(m):
        out[count + s] = _std_of(squares[s], count)


kernel_stamp.forget_stale(__name__, globals())
