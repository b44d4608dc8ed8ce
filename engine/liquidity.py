"""The liquidity models' per-bar inputs, each known before its bar opens: a value at bar t
is computed from bars before t only (no look-ahead), NaN while the window is warming up
(docs/execution.md, "Liquidity", "Spread and impact estimators").

- ``corwin_schultz`` and ``abdi_ranaldo``: the quoted spread (a fraction of the price; 0.01
  is a spread of 1 %) estimated from daily OHLC over the ``window`` bars t-window .. t-1.
  Both papers estimate from two consecutive days: the ``window`` bars hold window - 1 such
  pairs, whose estimates are averaged (negative two-day estimates set to zero first, as
  both papers do in their main tests). So ``window`` >= 2.
- ``trailing_volatility``: the daily volatility of the square-root impact model, the
  sample standard deviation (ddof=1) of the ``window`` close-to-close simple returns of
  bars t-window .. t-1 (each against the close before it, so it reads closes t-window-1 ..
  t-1). ddof=1: the unbiased variance of a sample of returns, the estimate a quant computes
  (pandas' ``rolling(window).std()`` default); ``window`` >= 2.
- ``trailing_adv``: the average daily volume, the mean volume of bars t-window .. t-1.

A window that holds an unusable input gives NaN at the bars it covers: a price that is not
a positive finite number (missing, zero, negative), a volume that is NaN or negative (an
infinite volume gives an infinite ADV); the broker treats an input it cannot compute as
``engine.broker.impact`` documents.

The trailing windows (the spreads' and ADV's mean, the volatility's standard deviation)
are summed each on its own in numpy's order (a cumulative sum would carry one bar's NaN,
or its rounding, into every later bar): by numpy (``_numpy_windows``) in a
process without numba, by the compiled ``engine._liquidity_kernel`` once numba is loaded
(a run with a liquidity field walks the compiled step), equal bit for bit
(tests/engine/test_liquidity_compiled.py). The spreads' logarithms and exponentials are the
C library's (``engine.libm``: numpy's own on an AVX-512 CPU differ in the last bit, and a
spread with them), so a spread is the same on every machine. The rest is numpy, vectorised.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

from engine import libm
from engine.compiled import kernel_array, loaded

SPREAD_MODELS = ("corwin_schultz", "abdi_ranaldo")
"""The names ``spread_series`` dispatches on (``TradingParams.spread_model``)."""

_CS_DENOMINATOR = 3.0 - 2.0 * math.sqrt(2.0)
"""Corwin & Schultz (2012): the 3 - 2√2 of α."""


def _floats(values: np.ndarray | list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _prices(values: np.ndarray | list[float] | None) -> np.ndarray | None:
    """Prices as floats, a price that is not a positive finite number (zero, negative, inf,
    NaN) made NaN: the estimators' logarithms and ratios would otherwise turn it into an
    infinite term that a zero floor or a sign could hide as a plausible value."""
    if values is None:
        return None
    prices = _floats(values)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(prices) & (prices > 0.0), prices, np.nan)


def _check_window(window: int, least: int, name: str) -> None:
    if int(window) != window or window < least:
        raise ValueError(f"{name} needs a whole window of at least {least} bars, got {window}")


def _kernel() -> ModuleType | None:
    """``engine._liquidity_kernel`` when numba is loaded in this process already
    (``engine.compiled.loaded``), else None: importing numba for the windows alone would
    cost more than numpy's."""
    if not loaded():
        return None
    from engine import _liquidity_kernel

    return _liquidity_kernel


def _numpy_windows(per_bar: np.ndarray, count: int, std: bool = False) -> np.ndarray:
    """numpy's trailing windows: at bar t the ``mean`` (``std``: the ``std(ddof=1)``) of
    ``per_bar[t - count .. t - 1]`` over a sliding view; NaN for t < count."""
    n = per_bar.shape[0]
    out = np.full(n, np.nan)
    if n <= count:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(per_bar, count)[: n - count]
    # windows[k] = per_bar[k .. k + count - 1]: the window before bar t = k + count
    with np.errstate(all="ignore"):  # an infinite volume: an infinite mean, no warning
        out[count:] = windows.std(axis=1, ddof=1) if std else windows.mean(axis=1)
    return out


def _trailing_mean(per_bar: np.ndarray, count: int) -> np.ndarray:
    """At bar t the mean of ``per_bar[t - count .. t - 1]`` (the ``count`` values before t),
    NaN for t < count and wherever that span holds a NaN."""
    kernel = _kernel()
    if kernel is None:
        return _numpy_windows(per_bar, count)
    return kernel.trailing_mean(kernel_array(per_bar), count, kernel.halves(count))


def _trailing_std(per_bar: np.ndarray, count: int) -> np.ndarray:
    """At bar t the sample standard deviation (ddof=1) of ``per_bar[t - count .. t - 1]``,
    NaN for t < count and wherever that span holds a NaN."""
    kernel = _kernel()
    if kernel is None:
        return _numpy_windows(per_bar, count, std=True)
    return kernel.trailing_std(kernel_array(per_bar), count, kernel.halves(count))


def corwin_schultz_two_day(
    high: np.ndarray, low: np.ndarray, close: np.ndarray | None = None
) -> np.ndarray:
    """Corwin & Schultz (2012)'s two-day spread estimate of each pair of consecutive bars
    (j - 1, j), at index j (NaN at 0), negative estimates set to zero (their main tests):

        β = ln(H_{j-1}/L_{j-1})² + ln(H_j/L_j)²
        γ = ln(max(H_{j-1}, H_j) / min(L_{j-1}, L_j))²
        α = (√(2β) − √β) / (3 − 2√2) − √(γ / (3 − 2√2))
        S = 2 (e^α − 1) / (1 + e^α)

    Given ``close``, the paper's overnight adjustment first: when day j's low is above day
    j - 1's close the price rose overnight, and day j's high and low are lowered by the
    difference; when day j's high is below that close, both are raised by it."""
    out = np.full(len(high), np.nan)
    if out.shape[0] < 2:
        return out
    with np.errstate(all="ignore"):
        log_high, log_low = libm.log(_prices(high)), libm.log(_prices(low))
        h0, l0, h1, l1 = log_high[:-1], log_low[:-1], log_high[1:], log_low[1:]
        if close is not None:
            c0 = libm.log(_prices(close))[:-1]
            gap = np.maximum(0.0, c0 - h1) + np.minimum(0.0, c0 - l1)
            h1, l1 = h1 + gap, l1 + gap
        beta = (h0 - l0) ** 2 + (h1 - l1) ** 2
        gamma = (np.maximum(h0, h1) - np.minimum(l0, l1)) ** 2
        alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / _CS_DENOMINATOR - np.sqrt(
            gamma / _CS_DENOMINATOR
        )
        grown = libm.exp(alpha)
        spread = 2.0 * (grown - 1.0) / (1.0 + grown)
    out[1:] = np.where(spread < 0.0, 0.0, spread)  # NaN stays NaN
    return out


def corwin_schultz(
    high: np.ndarray, low: np.ndarray, window: int, close: np.ndarray | None = None
) -> np.ndarray:
    """The Corwin-Schultz spread at each bar t: the mean of the two-day estimates
    (``corwin_schultz_two_day``) of the window - 1 pairs within bars t-window .. t-1; NaN
    for t < window. ``close`` adds the paper's overnight adjustment."""
    _check_window(window, 2, "corwin_schultz")
    return _trailing_mean(corwin_schultz_two_day(high, low, close), window - 1)


def abdi_ranaldo_two_day(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Abdi & Ranaldo (2017)'s two-day spread estimate of each pair of consecutive bars
    (j - 1, j), at index j (NaN at 0), from the log close c and the log mid-range
    η = (ln H + ln L) / 2:

        S = √max(4 (c_{j-1} − η_{j-1}) (c_{j-1} − η_j), 0)

    (their two-day corrected estimator: a negative product set to zero before the root)."""
    out = np.full(len(high), np.nan)
    if out.shape[0] < 2:
        return out
    with np.errstate(all="ignore"):
        mid = (libm.log(_prices(high)) + libm.log(_prices(low))) / 2.0
        log_close = libm.log(_prices(close))
        squared = 4.0 * (log_close[:-1] - mid[:-1]) * (log_close[:-1] - mid[1:])
    out[1:] = np.sqrt(np.where(squared < 0.0, 0.0, squared))  # NaN stays NaN
    return out


def abdi_ranaldo(high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int) -> np.ndarray:
    """The Abdi-Ranaldo spread at each bar t: the mean of the two-day estimates
    (``abdi_ranaldo_two_day``) of the window - 1 pairs within bars t-window .. t-1; NaN for
    t < window."""
    _check_window(window, 2, "abdi_ranaldo")
    return _trailing_mean(abdi_ranaldo_two_day(high, low, close), window - 1)


def spread_series(
    model: str, high: np.ndarray, low: np.ndarray, close: np.ndarray, window: int
) -> np.ndarray:
    """The estimated spread of ``model`` ("corwin_schultz", with the overnight adjustment
    from ``close``, or "abdi_ranaldo") at each bar, from the ``window`` bars before it."""
    if model == "corwin_schultz":
        return corwin_schultz(high, low, window, close=close)
    if model == "abdi_ranaldo":
        return abdi_ranaldo(high, low, close, window)
    raise ValueError(f"unknown spread model {model!r}: one of {', '.join(SPREAD_MODELS)}")


def trailing_volatility(close: np.ndarray, window: int) -> np.ndarray:
    """The sample standard deviation (ddof=1) of the ``window`` simple returns
    close_j / close_{j-1} − 1 of bars j = t-window .. t-1, at each bar t; NaN for
    t < window + 1 (the first return is bar 1's)."""
    _check_window(window, 2, "trailing_volatility")
    close = _prices(close)
    returns = np.full(close.shape[0], np.nan)
    with np.errstate(all="ignore"):  # a close of 5e-324: an infinite return, no warning
        returns[1:] = close[1:] / close[:-1] - 1.0
    return _trailing_std(returns, window)


def volatility_and_adv(
    close: np.ndarray, volume: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """(``trailing_volatility(close, window)``, ``trailing_adv(volume, window)``), the
    square-root model's inputs: compiled in one call once numba is loaded (no array
    between the bars and the windows), the same values bit for bit."""
    kernel = _kernel()
    if kernel is None:
        return trailing_volatility(close, window), trailing_adv(volume, window)
    _check_window(window, 2, "trailing_volatility")
    plan = kernel.halves(window)
    return kernel.volatility_and_adv(kernel_array(close), kernel_array(volume), window, plan)


def trailing_adv(volume: np.ndarray, window: int) -> np.ndarray:
    """The average daily volume at each bar t: the mean volume of bars t-window .. t-1; NaN
    for t < window."""
    _check_window(window, 1, "trailing_adv")
    volume = _floats(volume)
    with np.errstate(invalid="ignore"):
        volume = np.where(volume >= 0.0, volume, np.nan)  # a negative volume: unknown
    return _trailing_mean(volume, window)
