"""Technical indicators as pure numpy functions: float64 arrays in, arrays out.

Every output has the input's length and is NaN during its warm-up (the bars before enough
data exists). Seeding follows TA-Lib where it has a convention: moving averages start with
the simple mean of their first window, Wilder averages (RSI, ATR, ADX) likewise.
Recursive indicators (EMA, Wilder) run a tight Python loop over plain floats; the
``*_rows`` variants run the same recursion across N rows at once for parameter sweeps and
give bit-for-bit the same numbers as the one-row functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from rules._arrays import _period, _series
from rules.indicators_trend import directional

NAN = float("nan")

BLOCK_VALUES = 1 << 16
"""Most window values a rolling computation holds at once (512 KB of float64): windows are
processed in blocks of rows, so a window of n over T bars needs O(T + BLOCK_VALUES) memory,
not T·n (2,000 over 100,000 bars would be a 1.6 GB temporary)."""


def _first_valid(x: np.ndarray) -> int:
    """Index of the first non-NaN value (len(x) when there is none)."""
    valid = ~np.isnan(x)
    return int(valid.argmax()) if valid.any() else len(x)


def _counts(flags: np.ndarray) -> np.ndarray:
    """Running counts of ``flags`` (bool), one more than their number, starting at 0: the
    count before each position and after the last. Counted in int32 when they fit (numpy's
    accumulation of booleans into int64 is several times slower), to compare only."""
    dtype = np.int32 if flags.size < 2**31 else np.int64
    counts = np.zeros(flags.size + 1, dtype=dtype)
    np.cumsum(flags, dtype=dtype, out=counts[1:])
    return counts


def _running_sums(x: np.ndarray, ref: float = 0.0) -> tuple[np.ndarray, np.ndarray | None]:
    """The running sums of x - ref from 0 (T + 1; a NaN read as 0) and the running counts of
    NaN (``_counts``; None without one). The offsets and their sums share one buffer: a
    fresh megabyte costs about as much as a pass over it."""
    totals = np.empty(len(x) + 1)
    totals[0] = 0.0
    shifted = totals[1:]
    np.subtract(x, ref, out=shifted)
    missing = np.isnan(shifted)
    holes = None
    if missing.any():
        shifted[missing] = 0.0
        holes = _counts(missing)
    np.cumsum(shifted, out=shifted)
    return totals, holes


def _windows(
    running: tuple[np.ndarray, np.ndarray | None], n: int, out: np.ndarray | None = None
) -> np.ndarray:
    """The sums of the windows of n for t = n-1 … T-1 from ``_running_sums`` (into ``out``
    when given); NaN for windows holding a NaN."""
    totals, holes = running
    sums = np.subtract(totals[n:], totals[:-n], out=out)
    if holes is not None:
        sums[holes[n:] - holes[:-n] > 0] = NAN
    return sums


def _window_sums(x: np.ndarray, n: int) -> np.ndarray:
    """Sums of the windows x[t-n+1 : t+1] for t = n-1 … T-1; NaN for windows holding a NaN."""
    return _windows(_running_sums(x), n)


def _ema_from(values: list[float], n: int, seed_end: int) -> np.ndarray:
    """EMA seeded at ``seed_end`` with the mean of the n values ending there; NaN before."""
    out = np.full(len(values), NAN)
    if seed_end >= len(values):
        return out
    prev = math.fsum(values[seed_end - n + 1 : seed_end + 1]) / n
    k = 2.0 / (n + 1.0)
    smoothed = [prev]
    append = smoothed.append
    for value in values[seed_end + 1 :]:
        prev = (value - prev) * k + prev  # TA-Lib's form of alpha·x + (1 − alpha)·prev
        append(prev)
    out[seed_end:] = smoothed
    return out


def _wilder_from(values: list[float], n: int, seed_end: int) -> np.ndarray:
    """Wilder average (alpha 1/n) seeded at ``seed_end`` with the mean of the n values ending
    there; NaN before."""
    out = np.full(len(values), NAN)
    if seed_end >= len(values):
        return out
    avg = math.fsum(values[seed_end - n + 1 : seed_end + 1]) / n
    keep = n - 1
    smoothed = [avg]
    append = smoothed.append
    for value in values[seed_end + 1 :]:
        avg = (avg * keep + value) / n
        append(avg)
    out[seed_end:] = smoothed
    return out


def sma(x: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average: mean of the last n values.

    Warm-up: the first n−1 values are NaN (and every window holding a NaN). A constant window
    gives exactly that constant, so flat stretches never produce rounding-noise crossings.

    >>> sma(np.array([1.0, 2, 3, 4, 5]), 3)
    array([nan, nan,  2.,  3.,  4.])
    """
    return sma_rows(x, [n])[0]


def sma_rows(x: np.ndarray, windows: Sequence[int]) -> list[np.ndarray]:
    """``sma(x, n)`` for each n of ``windows``, bit for bit, the running sums of x and its
    count of changes taken once for all of them (a rule's fast and slow average, a sweep's
    windows)."""
    x = _series(x)
    windows = [_period(n) for n in windows]
    first = _first_valid(x)
    ref = x[first] if first < len(x) else NAN
    running = changes = None
    lines = []
    for n in windows:
        if len(x) - first < n:
            lines.append(np.full(len(x), NAN))
            continue
        if running is None:  # summing offsets from a reference value keeps the sums small
            running = _running_sums(x, ref)
            changes = _counts(x[1:] != x[:-1])  # changes[t]: the changes up to bar t
        out = np.empty(len(x))
        out[: n - 1] = NAN
        means = _windows(running, n, out=out[n - 1 :])
        means /= n
        means += ref  # ref + sum / n, in place
        flat = np.flatnonzero(changes[n - 1 :] == changes[: len(x) - n + 1]) + n - 1
        out[flat] = x[flat]
        lines.append(out)
    return lines


def stddev(x: np.ndarray, n: int) -> np.ndarray:
    """Rolling population standard deviation (ddof = 0, like TA-Lib's STDDEV) of the last n
    values, computed two-pass around ``sma(x, n)``, a block of windows at a time
    (``BLOCK_VALUES``).

    Warm-up: the first n−1 values are NaN. A constant window gives exactly 0.

    >>> stddev(np.array([2.0, 4, 4, 4, 5, 5, 7, 9]), 8)[-1]
    np.float64(2.0)
    """
    x = _series(x)
    n = _period(n)
    mean = sma(x, n)
    out = np.full(len(x), NAN)
    if len(x) < n:
        return out
    windows = sliding_window_view(x, n)  # a view: no copy
    step = max(1, BLOCK_VALUES // n)
    for first in range(0, len(windows), step):
        # the same per-window formula on a block of rows: the same floats as all rows at once
        dev = windows[first : first + step] - mean[n - 1 + first : n - 1 + first + step, None]
        out[n - 1 + first : n - 1 + first + len(dev)] = np.sqrt(np.einsum("ij,ij->i", dev, dev) / n)
    return out


def _rolling(reduce: Callable[..., np.ndarray], x: np.ndarray, n: int) -> np.ndarray:
    """``reduce`` (``np.max``, ``np.min``) of each window of the last n values; the first
    n−1 are NaN."""
    x = _series(x)
    n = _period(n)
    out = np.full(len(x), NAN)
    if len(x) >= n:
        out[n - 1 :] = reduce(sliding_window_view(x, n), axis=1)
    return out


def rolling_max(x: np.ndarray, n: int) -> np.ndarray:
    """Highest of the last n values (TA-Lib MAX).

    Warm-up: the first n−1 values are NaN.

    >>> rolling_max(np.array([1.0, 3, 2, 1, 0]), 2)
    array([nan,  3.,  3.,  2.,  1.])
    """
    return _rolling(np.max, x, n)


def rolling_min(x: np.ndarray, n: int) -> np.ndarray:
    """Lowest of the last n values (TA-Lib MIN).

    Warm-up: the first n−1 values are NaN.

    >>> rolling_min(np.array([1.0, 3, 2, 1, 0]), 2)
    array([nan,  1.,  2.,  1.,  0.])
    """
    return _rolling(np.min, x, n)


def ema(x: np.ndarray, n: int) -> np.ndarray:
    """Exponential moving average, alpha = 2/(n+1), seeded with the simple mean of the first n
    values (TA-Lib convention).

    Warm-up: NaN before index first+n−1, where ``first`` is the first non-NaN input (leading
    NaNs are skipped, so an EMA of another indicator starts at its first valid value). A NaN
    after that propagates to the end.

    >>> ema(np.array([1.0, 2, 3, 4, 5]), 3)
    array([nan, nan,  2.,  3.,  4.])
    """
    x = _series(x)
    n = _period(n)
    return _ema_from(x.tolist(), n, _first_valid(x) + n - 1)


def ema_rows(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Row-wise EMA of an (N, T) array with one period per row: row i equals
    ``ema(x[i], n[i])`` bit for bit (same seeding, same arithmetic, vectorised across rows).

    Warm-up: as ``ema``, per row.

    >>> ema_rows(np.array([[1.0, 2, 3, 4], [np.nan, 2, 4, 6]]), np.array([2, 2]))
    array([[nan, 1.5, 2.5, 3.5],
           [nan, nan, 3. , 5. ]])
    """
    x = np.asarray(x, dtype=np.float64)
    periods = np.asarray(n)
    if x.ndim != 2 or periods.shape != (x.shape[0],):
        raise ValueError(
            f"expected x of shape (N, T) and n of shape (N,), got {x.shape}, {periods.shape}"
        )
    periods = np.array([_period(p) for p in periods.tolist()], dtype=np.int64)
    n_rows, n_bars = x.shape
    out = np.full((n_bars, n_rows), NAN)
    seeds: dict[int, tuple[list[int], list[float]]] = {}
    for row, period in enumerate(periods.tolist()):
        seed_end = _first_valid(x[row]) + period - 1
        if seed_end < n_bars:
            window = x[row, seed_end - period + 1 : seed_end + 1].tolist()
            rows, values = seeds.setdefault(seed_end, ([], []))
            rows.append(row)
            values.append(math.fsum(window) / period)
    if not seeds:
        return np.ascontiguousarray(out.T)
    k = 2.0 / (periods + 1.0)
    by_bar = np.ascontiguousarray(x.T)
    prev = np.full(n_rows, NAN)
    for t in range(min(seeds), n_bars):
        prev = (by_bar[t] - prev) * k + prev  # NaN until a row is seeded
        seeded = seeds.get(t)
        if seeded is not None:
            prev[seeded[0]] = seeded[1]
        out[t] = prev
    return np.ascontiguousarray(out.T)


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    """Relative Strength Index with Wilder smoothing: 100 · avg_gain / (avg_gain + avg_loss).

    The averages start as the simple means of the first n gains/losses (bars 1…n) and then
    follow avg = (avg·(n−1) + value)/n, as TA-Lib. Warm-up: the first n values are NaN
    (first value at index n). Where avg_loss is 0 the RSI is 100; where both averages are 0
    (a flat market) it is 50 (TA-Lib returns 0 there).

    >>> rsi(np.array([1.0, 2, 1, 2, 3]), 2)
    array([ nan,  nan, 50. , 75. , 87.5])
    """
    close = _series(close)
    n = _period(n)
    change = np.full(len(close), NAN)  # bar 0 has no change; it is never read
    change[1:] = np.diff(close)
    gains = np.where(change > 0, change, 0.0)
    losses = np.where(change < 0, -change, 0.0)
    gains[np.isnan(change)] = NAN
    losses[np.isnan(change)] = NAN
    avg_gain = _wilder_from(gains.tolist(), n, n)
    avg_loss = _wilder_from(losses.tolist(), n, n)
    total = avg_gain + avg_loss
    out = np.full(len(close), 50.0)
    np.divide(100.0 * avg_gain, total, out=out, where=total > 0)
    out[np.isnan(total)] = NAN
    return out


def macd_line(close: np.ndarray, fast: int = 12, slow: int = 26) -> np.ndarray:
    """MACD line: EMA(fast) − EMA(slow), with TA-Lib's MACD seeding.

    As in TA-Lib, both EMAs start on the same bar, first+slow−1: the slow EMA is ``ema(close,
    slow)`` and the fast one is seeded there with the mean of the last ``fast`` closes (it
    differs from ``ema(close, fast)`` only by a decaying transient). Warm-up: NaN before
    index slow−1 (after leading NaNs). Requires fast < slow.

    >>> macd_line(np.array([1.0, 2, 3, 4, 5, 6]), 2, 4)
    array([nan, nan, nan,  1.,  1.,  1.])
    """
    close = _series(close)
    fast, slow = _period(fast, "fast"), _period(slow, "slow")
    if fast >= slow:
        raise ValueError(f"fast ({fast}) must be less than slow ({slow})")
    seed_end = _first_valid(close) + slow - 1
    values = close.tolist()
    return _ema_from(values, fast, seed_end) - _ema_from(values, slow, seed_end)


def macd_line_rows(close: np.ndarray, fast: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """MACD lines for N (fast, slow) pairs as an (N, T) array: row i equals
    ``macd_line(close, fast[i], slow[i])`` bit for bit.

    >>> macd_line_rows(np.array([1.0, 2, 3, 4, 5, 6]), np.array([2, 2]), np.array([3, 4]))
    array([[nan, nan, 0.5, 0.5, 0.5, 0.5],
           [nan, nan, nan, 1. , 1. , 1. ]])
    """
    close = _series(close)
    fast = np.asarray(fast, dtype=np.int64)
    slow = np.asarray(slow, dtype=np.int64)
    if fast.ndim != 1 or fast.shape != slow.shape:
        raise ValueError("fast and slow must be 1-D arrays of the same length")
    if np.any(fast >= slow):
        raise ValueError("every fast period must be less than its slow period")
    first = _first_valid(close)
    shifted = np.repeat(close[None, :], len(fast), axis=0)
    for row, start in enumerate((first + slow - fast).tolist()):
        shifted[row, :start] = NAN  # the fast EMA's seed window ends on the slow one's
    slow_emas = {s: ema(close, s) for s in dict.fromkeys(slow.tolist())}
    slow_rows = np.stack([slow_emas[s] for s in slow.tolist()]) if len(slow) else shifted
    return ema_rows(shifted, fast) - slow_rows


def macd(
    close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD: (macd_line, signal_line, histogram) with TA-Lib seeding.

    ``macd_line`` is ``macd_line(close, fast, slow)``; the signal line is ``ema(macd_line,
    signal)``, i.e. seeded with the mean of the first ``signal`` MACD values; histogram =
    macd − signal. Warm-up: the MACD line is NaN before index slow−1, the signal line and
    histogram before slow+signal−2 (TA-Lib reports all three only from slow+signal−2).

    >>> line, sig, hist = macd(np.array([1.0, 2, 3, 4, 5, 6]), 2, 4, 2)
    >>> sig
    array([nan, nan, nan, nan,  1.,  1.])
    """
    line = macd_line(close, fast, slow)
    sig = ema(line, _period(signal, "signal"))
    return line, sig, line - sig


def bands(
    middle: np.ndarray, width: np.ndarray, k: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Envelope (upper, lower) = middle ± k·width; broadcasts (k may be an (N, 1) column).

    >>> bands(np.array([10.0]), np.array([2.0]), 1.5)
    (array([13.]), array([7.]))
    """
    offset = np.multiply(k, width)
    return middle + offset, middle - offset


def bollinger(
    close: np.ndarray, n: int = 20, k: float = 2.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bollinger Bands: (middle, upper, lower) = SMA(n) and SMA(n) ± k · stddev(n).

    The standard deviation is the population one (ddof = 0), like TA-Lib's BBANDS.
    Warm-up: the first n−1 values are NaN.

    >>> middle, upper, lower = bollinger(np.array([1.0, 3, 1, 3]), 2, 1.0)
    >>> upper
    array([nan,  3.,  3.,  3.])
    """
    middle = sma(close, n)
    upper, lower = bands(middle, stddev(close, n), k)
    return middle, upper, lower


def zscore(x: np.ndarray, n: int) -> np.ndarray:
    """How many rolling standard deviations x is from its rolling mean: (x − sma) / stddev.

    Warm-up: the first n−1 values are NaN; also NaN where the window is constant (stddev 0).

    >>> zscore(np.array([1.0, 3, 1, 1]), 2)
    array([nan,  1., -1., nan])
    """
    x = _series(x)
    std = stddev(x, n)
    out = np.full(len(x), NAN)
    np.divide(x - sma(x, n), std, out=out, where=std > 0)
    return out


def roc(x: np.ndarray, n: int) -> np.ndarray:
    """Rate of change in percent over n bars: (x[t] / x[t−n] − 1) · 100 (TA-Lib ROC).

    Warm-up: the first n values are NaN; NaN where x[t−n] is 0.

    >>> roc(np.array([100.0, 110, 121]), 1)
    array([nan, 10., 10.])
    """
    x = _series(x)
    n = _period(n)
    out = np.full(len(x), NAN)
    if len(x) > n:
        ratio = np.full(len(x) - n, NAN)
        np.divide(x[n:], x[:-n], out=ratio, where=x[:-n] != 0)
        out[n:] = (ratio - 1.0) * 100.0
    return out


def previous(x: np.ndarray) -> np.ndarray:
    """x shifted one bar later along the last axis (NaN first): the value of the bar before t.

    >>> previous(np.array([1.0, 2, 3]))
    array([nan,  1.,  2.])
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, NAN)
    out[..., 1:] = x[..., :-1]
    return out


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True range: max(high − low, |high − prev close|, |low − prev close|).

    Warm-up: index 0 is NaN (no previous close), as TA-Lib's TRANGE.

    >>> true_range(np.array([5.0, 6]), np.array([4.0, 5]), np.array([4.0, 5.5]))
    array([nan,  2.])
    """
    high, low, close = _series(high), _series(low), _series(close)
    out = np.full(len(close), NAN)
    prev = close[:-1]
    out[1:] = np.maximum(high[1:] - low[1:], np.maximum(abs(high[1:] - prev), abs(low[1:] - prev)))
    return out


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    """Average True Range, Wilder-smoothed: the mean of the first n true ranges (bars 1…n),
    then atr = (atr·(n−1) + tr)/n (TA-Lib ATR).

    Warm-up: the first n values are NaN (first value at index n).

    >>> atr(np.array([2.0, 3, 4]), np.array([1.0, 2, 3]), np.array([1.5, 2.5, 3.5]), 1)
    array([nan, 1.5, 1.5])
    """
    n = _period(n)
    return _wilder_from(true_range(high, low, close).tolist(), n, n)


def adx(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    """Average Directional Index, as TA-Lib's ADX: the third line of
    ``rules.indicators_trend.directional`` (Wilder's smoothing with TA-Lib's seeding, equal to
    TA-Lib on GOOG). Warm-up: the first 2n−1 values are NaN (first value at index 2n−1).

    >>> adx(np.array([1.0, 2, 3, 4]), np.array([0.0, 1, 2, 3]), np.array([0.5, 1.5, 2.5, 3.5]), 2)
    array([ nan,  nan,  nan, 100.])
    """
    return directional(high, low, close, n)[2]


def stochastic(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, k_period: int = 14, d_period: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Fast stochastic oscillator: (%K, %D).

    %K = 100 · (close − lowest low) / (highest high − lowest low) over the last k_period bars
    (50 when the range is 0, a flat window; TA-Lib returns 0 there); %D = SMA(%K, d_period).
    Warm-up: %K is NaN for the first k_period−1 values, %D for the first k_period+d_period−2.

    >>> k, d = stochastic(np.array([2.0, 4, 6]), np.array([0.0, 2, 4]), np.array([1.0, 3, 6]), 2, 2)
    >>> k
    array([ nan,  75., 100.])
    """
    close = _series(close)
    k_period, d_period = _period(k_period, "k_period"), _period(d_period, "d_period")
    highest = rolling_max(high, k_period)
    lowest = rolling_min(low, k_period)
    span = highest - lowest
    pct_k = np.full(len(close), 50.0)
    np.divide(100.0 * (close - lowest), span, out=pct_k, where=span > 0)
    pct_k[np.isnan(span)] = NAN
    return pct_k, sma(pct_k, d_period)


def obv(close: np.ndarray, volume: np.ndarray) -> np.ndarray:
    """On-Balance Volume: starts at volume[0] (TA-Lib convention), then adds the bar's volume
    when the close rises, subtracts it when it falls, keeps it when unchanged.

    Warm-up: none.

    >>> obv(np.array([10.0, 11, 10, 10]), np.array([5.0, 3, 2, 9]))
    array([5., 8., 6., 6.])
    """
    close, volume = _series(close), _series(volume)
    if len(close) == 0:
        return np.empty(0)
    steps = np.empty(len(close))
    steps[0] = volume[0]
    steps[1:] = np.sign(np.diff(close)) * volume[1:]
    return np.cumsum(steps)


def vwap(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    n: int | None = None,
) -> np.ndarray:
    """Volume-weighted average of the typical price (high + low + close)/3: cumulative from
    the first bar, or over the last n bars when n is given.

    Warm-up: none for the cumulative form, the first n−1 values for the rolling one; NaN
    wherever the summed volume is 0.

    >>> vwap(np.array([3.0, 6]), np.array([1.0, 4]), np.array([2.0, 5]), np.array([1.0, 3]))
    array([2.  , 4.25])
    """
    high, low, close, volume = _series(high), _series(low), _series(close), _series(volume)
    weighted = (high + low + close) / 3.0 * volume
    out = np.full(len(close), NAN)
    if n is None:
        num, den, start = np.cumsum(weighted), np.cumsum(volume), 0
    else:
        n = _period(n)
        if len(close) < n:
            return out
        num, den, start = _window_sums(weighted, n), _window_sums(volume, n), n - 1
    np.divide(num, den, out=out[start:], where=den != 0)
    return out


__all__ = [
    "BLOCK_VALUES",
    "adx",
    "atr",
    "bands",
    "bollinger",
    "ema",
    "ema_rows",
    "macd",
    "macd_line",
    "macd_line_rows",
    "obv",
    "previous",
    "roc",
    "rolling_max",
    "rolling_min",
    "rsi",
    "sma",
    "sma_rows",
    "stddev",
    "stochastic",
    "true_range",
    "vwap",
    "zscore",
]
