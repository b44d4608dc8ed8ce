"""Directional-movement indicators with TA-Lib's conventions: +DI, −DI and ADX computed in one
pass (the TREND rule's inputs). Kept apart from ``rules.indicators`` so that module stays small;
``rules.indicators.adx`` is Wilder's textbook seeding, this one is TA-Lib's."""

from __future__ import annotations

import numpy as np

from rules._arrays import _period, _series

NAN = np.nan
_ZERO = 1e-8
"""TA-Lib's TA_IS_ZERO: |v| < 1e-8 counts as zero (a flat true range or DI sum)."""


def directional(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(+DI, −DI, ADX) exactly as TA-Lib's PLUS_DI, MINUS_DI and ADX (no unstable period).

    +DM[t] = high[t] − high[t−1] when that exceeds low[t−1] − low[t] and is > 0, else 0
    (−DM symmetrically); TR is the true range. The smoothed sums start as the plain sums of
    bars 1…n−1 and then follow S = S − S/n + x from bar n on (TA-Lib's seed: n−1 values, not
    Wilder's n). +DI = 100·S(+DM)/S(TR), 0 when S(TR) is zero. DX = 100·|+DI − −DI|/(+DI + −DI);
    the first ADX (bar 2n−1) is the sum of DX over bars n…2n−1 divided by n (a zero DI sum
    adds nothing), then ADX = (ADX·(n−1) + DX)/n, unchanged on a bar whose DI sum is zero.

    Warm-up: ±DI are NaN before bar n, ADX before bar 2n−1.

    >>> p, m, a = directional(np.array([1.0, 2, 3, 4]), np.array([0.0, 1, 2, 3]),
    ...                       np.array([0.5, 1.5, 2.5, 3.5]), 2)
    >>> np.round(p, 2).tolist(), m.tolist(), a.tolist()
    ([nan, nan, 66.67, 66.67], [nan, nan, 0.0, 0.0], [nan, nan, nan, 100.0])
    """
    high, low, close = _series(high), _series(low), _series(close)
    n = _period(n)
    size = len(close)
    plus_di, minus_di, adx = np.full(size, NAN), np.full(size, NAN), np.full(size, NAN)
    h, lo, c = high.tolist(), low.tolist(), close.tolist()
    s_plus = s_minus = s_tr = 0.0
    sum_dx = adx_value = 0.0
    for t in range(1, size):
        up, down = h[t] - h[t - 1], lo[t - 1] - lo[t]
        plus_dm = up if up > 0 and up > down else 0.0
        minus_dm = down if down > 0 and down > up else 0.0
        tr = max(h[t] - lo[t], abs(h[t] - c[t - 1]), abs(lo[t] - c[t - 1]))
        if t < n:
            s_plus += plus_dm
            s_minus += minus_dm
            s_tr += tr
            continue
        s_plus = s_plus - s_plus / n + plus_dm
        s_minus = s_minus - s_minus / n + minus_dm
        s_tr = s_tr - s_tr / n + tr
        dx = None
        if -_ZERO < s_tr < _ZERO:
            plus_di[t] = minus_di[t] = 0.0
        else:
            p, m = 100.0 * (s_plus / s_tr), 100.0 * (s_minus / s_tr)
            plus_di[t], minus_di[t] = p, m
            total = m + p
            if not -_ZERO < total < _ZERO:
                dx = 100.0 * (abs(m - p) / total)
        if t < 2 * n - 1:
            sum_dx += dx or 0.0
        elif t == 2 * n - 1:
            adx_value = (sum_dx + (dx or 0.0)) / n
            adx[t] = adx_value
        else:
            if dx is not None:
                adx_value = ((adx_value * (n - 1)) + dx) / n
            adx[t] = adx_value
    return plus_di, minus_di, adx


__all__ = ["directional"]
