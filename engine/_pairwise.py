"""numpy's pairwise summation of float64, compiled (numba): the order in which numpy's
``sum`` (and so ``mean``, ``std`` and ``var``) adds up an array, so a compiled reduction equals
numpy's bit for bit. A leaf module: the run kernels (``engine._kernel``), the liquidity
windows (``engine._liquidity_kernel``, which the broker's step calls where a run fills) and
the portfolio's signals kernel sum through it, and a process that loads one of them does not
load the others' code.
"""

from __future__ import annotations

import numpy as np
from numba import njit

PAIRWISE_BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: the largest run summed with eight accumulators."""


PLAIN, SQUARED_DEVIATION, DOWNSIDE_SQUARE, SQUARE = range(4)
"""What ``pairwise_sum`` adds up of each value x: x, (x - center)², min(x, 0)², x² (the
arrays numpy would build first, ``np.square(x - mean)`` ..., made on the fly: the same
values, added in the same order)."""


@njit(cache=True, nogil=True, inline="always")
def _term(x: float, mode: int, center: float) -> float:
    if mode == SQUARED_DEVIATION:
        x = x - center
        return x * x
    if mode == DOWNSIDE_SQUARE:
        x = min(x, 0.0)
        return x * x
    if mode == SQUARE:
        return x * x
    return x


@njit(cache=True, nogil=True)
def leaf_sum(a: np.ndarray, lo: int, n: int, mode: int, center: float) -> float:
    """numpy's sum of at most ``PAIRWISE_BLOCK`` values: a plain loop under 8, else eight
    accumulators combined pairwise and the rest added in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += _term(a[i], mode, center)
        return res
    r0, r1 = _term(a[lo], mode, center), _term(a[lo + 1], mode, center)
    r2, r3 = _term(a[lo + 2], mode, center), _term(a[lo + 3], mode, center)
    r4, r5 = _term(a[lo + 4], mode, center), _term(a[lo + 5], mode, center)
    r6, r7 = _term(a[lo + 6], mode, center), _term(a[lo + 7], mode, center)
    i = 8
    whole = n - n % 8
    while i < whole:
        at = lo + i
        r0 += _term(a[at], mode, center)
        r1 += _term(a[at + 1], mode, center)
        r2 += _term(a[at + 2], mode, center)
        r3 += _term(a[at + 3], mode, center)
        r4 += _term(a[at + 4], mode, center)
        r5 += _term(a[at + 5], mode, center)
        r6 += _term(a[at + 6], mode, center)
        r7 += _term(a[at + 7], mode, center)
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += _term(a[lo + i], mode, center)
        i += 1
    return res


@njit(cache=True, nogil=True)
def pairwise_split(n: int) -> int:
    """Where numpy's pairwise sum cuts ``n`` values: half, rounded down to a multiple of 8."""
    half = n // 2
    return half - half % 8


@njit(cache=True, nogil=True)
def pairwise_sum(a: np.ndarray, lo: int, n: int, mode: int = PLAIN, center: float = 0.0) -> float:
    """``a[lo:lo + n].sum()`` in numpy's order (its ``pairwise_sum`` of float64: halves
    summed apart down to blocks of ``PAIRWISE_BLOCK``), so
    ``pairwise_sum(a, 0, a.size) + 0.0 == a.sum()`` bit for bit; ``mode`` adds a function
    of each value instead (``SQUARED_DEVIATION`` from ``center`` ...)."""
    return pairwise(a, lo, n, mode, center, np.empty((3, 64), dtype=np.int64), np.empty(64))


@njit(cache=True, nogil=True)
def pairwise(
    a: np.ndarray,
    lo: int,
    n: int,
    mode: int,
    center: float,
    nodes: np.ndarray,
    left: np.ndarray,
) -> float:
    """``pairwise_sum`` on the caller's stack: ``nodes`` (3 × 64 int64: start, count and
    state of each pending half) and ``left`` (64: the left halves' sums), so a kernel
    summing many rows allocates them once. The recursion runs on this explicit stack:
    numba's cache cannot reload a recursive function called from another cached one."""
    if n <= PAIRWISE_BLOCK:
        return leaf_sum(a, lo, n, mode, center)
    starts, counts, state = nodes[0], nodes[1], nodes[2]  # state 1: left pending, 2: right
    starts[0], counts[0], state[0] = lo, n, 0
    depth = 1
    while True:
        top = depth - 1
        if counts[top] > PAIRWISE_BLOCK:
            state[top] = 1
            starts[depth], counts[depth], state[depth] = starts[top], pairwise_split(counts[top]), 0
            depth += 1
            continue
        value = leaf_sum(a, starts[top], counts[top], mode, center)
        depth -= 1
        while depth > 0:
            parent = depth - 1
            if state[parent] == 1:
                left[parent] = value
                state[parent] = 2
                half = pairwise_split(counts[parent])
                starts[depth] = starts[parent] + half
                counts[depth] = counts[parent] - half
                state[depth] = 0
                depth += 1
                break
            value = left[parent] + value
            depth -= 1
        if depth == 0:
            return value
