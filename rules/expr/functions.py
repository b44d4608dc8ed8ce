"""The whitelist: every function a text may call, its arguments, its result type, its
look-back and the project indicator it runs (``rules.indicators``; nothing is re-implemented).

Argument kinds: ``series`` (a series expression), ``value`` (a series or a number),
``window`` (a whole number of bars, 1..MAX_WINDOW: a constant or a ``$parameter``), ``lag``
(a whole number of bars, 0..MAX_WINDOW), ``number`` (a number expression), ``ticker`` (a
quoted catalog ticker, ``ref``'s first argument) and ``timeframe`` (a quoted timeframe of
``rules.expr.frames.FRAMES``, ``tf``'s first argument). Results:
``series``, ``condition`` (a true/false series), ``value`` (a series when any argument is a
series, else a number), ``same`` (the type of the first argument).

Some functions are written in terms of others (``SUGAR``): ``bb_upper(x, n, k)`` is
``sma(x, n) + k * stdev(x, n)``, ``macd_signal`` is the EMA of ``macd``, so a sweep
computes their parts once and shares them with the rest of the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rules import indicators as ind
from rules.indicators_trend import directional
from rules.signals import cross_above, cross_below


@dataclass(frozen=True)
class Function:
    """One function of the language.

    ``args`` are the argument kinds and ``names`` their names (for messages and the
    reference); the last ``optional`` arguments may be left out. ``columns`` are the bar
    series an indicator reads besides its series arguments (atr reads high, low, close).
    ``compute`` is called once per distinct set of argument values with 1-D series and
    ints and returns a 1-D series (None for the vectorised functions, which the evaluator
    applies itself). ``lookback(inputs, windows)`` gives the first defined bar from the
    first defined bars of the series arguments and the window values."""

    name: str
    args: tuple[str, ...]
    names: tuple[str, ...]
    result: str
    summary: str
    lookback: Callable[[list[int], list[int]], int]
    compute: Callable | None = None
    columns: tuple[str, ...] = ()
    optional: int = 0


def _rsi(x: np.ndarray, n: int) -> np.ndarray:
    """RSI of a series that may start with undefined values: computed from its first
    defined value (``rules.indicators.rsi`` seeds at bar n of its input)."""
    valid = ~np.isnan(x)
    first = int(valid.argmax()) if valid.any() else len(x)
    if first == 0:
        return ind.rsi(x, n)
    out = np.full(len(x), np.nan)
    if first < len(x):
        out[first:] = ind.rsi(x[first:], n)
    return out


def _macd(x: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """The MACD line; undefined everywhere when fast >= slow (a pair a sweep may reach)."""
    if fast >= slow:
        return np.full(len(x), np.nan)
    return ind.macd_line(x, fast, slow)


def _plus_di(high, low, close, n: int) -> np.ndarray:
    return directional(high, low, close, n)[0]


def _minus_di(high, low, close, n: int) -> np.ndarray:
    return directional(high, low, close, n)[1]


def _stoch_k(high, low, close, k: int) -> np.ndarray:
    return ind.stochastic(high, low, close, k, 1)[0]


def _stoch_d(high, low, close, k: int, d: int) -> np.ndarray:
    return ind.stochastic(high, low, close, k, d)[1]


def _after(extra: Callable[[list[int]], int]):
    """A look-back of one series argument plus ``extra(windows)`` bars."""
    return lambda inputs, windows: (inputs[0] if inputs else 0) + extra(windows)


def _latest(inputs: list[int], windows: list[int]) -> int:
    return max(inputs, default=0)


def _windowed(
    name: str, summary: str, compute: Callable, extra: Callable[[list[int]], int] | None = None
) -> Function:
    """A series function over a series' last n values, ``name(x, n)``: its look-back is the
    series' plus ``extra(windows)`` bars (default n − 1, the window's earlier bars)."""
    extra = extra or (lambda w: w[0] - 1)
    args, names = ("series", "window"), ("x", "n")
    return Function(name, args, names, "series", summary, _after(extra), compute)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        _windowed("sma", "simple moving average of the last n values", ind.sma),
        _windowed("ema",
                  "exponential moving average, alpha 2/(n+1), seeded with the SMA of n values",
                  ind.ema),
        _windowed("rsi", "Relative Strength Index (Wilder), 0–100", _rsi, lambda w: w[0]),
        Function("macd", ("series", "window", "window"), ("x", "fast", "slow"), "series",
                 "MACD line: EMA(fast) − EMA(slow), TA-Lib seeding; needs fast < slow",
                 _after(lambda w: w[1] - 1), _macd),
        Function("macd_signal", ("series", "window", "window", "window"),
                 ("x", "fast", "slow", "signal"), "series",
                 "signal line: ema(macd(x, fast, slow), signal)", _latest),
        Function("macd_hist", ("series", "window", "window", "window"),
                 ("x", "fast", "slow", "signal"), "series",
                 "histogram: macd(x, fast, slow) − macd_signal(x, fast, slow, signal)", _latest),
        Function("bb_mid", ("series", "window"), ("x", "n"), "series",
                 "Bollinger middle band: sma(x, n)", _latest),
        Function("bb_upper", ("series", "window", "number"), ("x", "n", "k"), "series",
                 "Bollinger upper band: sma(x, n) + k · stdev(x, n)", _latest),
        Function("bb_lower", ("series", "window", "number"), ("x", "n", "k"), "series",
                 "Bollinger lower band: sma(x, n) − k · stdev(x, n)", _latest),
        _windowed("stdev", "population standard deviation of the last n values", ind.stddev),
        _windowed("zscore", "(x − sma(x, n)) / stdev(x, n); undefined on a flat window",
                  ind.zscore),
        _windowed("roc", "rate of change in percent: (x / x n bars ago − 1) · 100", ind.roc,
                  lambda w: w[0]),
        _windowed("highest", "highest of the last n values (bar t included)", ind.rolling_max),
        _windowed("lowest", "lowest of the last n values (bar t included)", ind.rolling_min),
        Function("atr", ("window",), ("n",), "series",
                 "Average True Range (Wilder, TA-Lib) of high, low, close",
                 lambda i, w: w[0], ind.atr, ("high", "low", "close")),
        Function("adx", ("window",), ("n",), "series",
                 "Average Directional Index (TA-Lib), 0–100",
                 lambda i, w: 2 * w[0] - 1, ind.adx, ("high", "low", "close")),
        Function("plus_di", ("window",), ("n",), "series",
                 "+DI (TA-Lib), 0–100", lambda i, w: w[0], _plus_di, ("high", "low", "close")),
        Function("minus_di", ("window",), ("n",), "series",
                 "−DI (TA-Lib), 0–100", lambda i, w: w[0], _minus_di, ("high", "low", "close")),
        Function("stoch_k", ("window",), ("k",), "series",
                 "stochastic %K over k bars, 0–100",
                 lambda i, w: w[0] - 1, _stoch_k, ("high", "low", "close")),
        Function("stoch_d", ("window", "window"), ("k", "d"), "series",
                 "stochastic %D: sma(%K, d)",
                 lambda i, w: w[0] + w[1] - 2, _stoch_d, ("high", "low", "close")),
        Function("obv", (), (), "series", "On-Balance Volume (TA-Lib)",
                 lambda i, w: 0, ind.obv, ("close", "volume")),
        Function("vwap", ("window",), ("n",), "series",
                 "volume-weighted typical price: cumulative, or over the last n bars",
                 lambda i, w: w[0] - 1 if w else 0, ind.vwap,
                 ("high", "low", "close", "volume"), optional=1),
        Function("lag", ("any", "lag"), ("x", "n"), "same",
                 "the value n bars earlier (n ≥ 0; never a later bar)",
                 _after(lambda w: w[0])),
        Function("crossover", ("series", "value"), ("a", "b"), "condition",
                 "a crosses above b on this bar: a > b now and a ≤ b on the bar before",
                 lambda i, w: max(i, default=0) + 1),
        Function("crossunder", ("series", "value"), ("a", "b"), "condition",
                 "a crosses below b on this bar: a < b now and a ≥ b on the bar before",
                 lambda i, w: max(i, default=0) + 1),
        Function("abs", ("value",), ("x",), "value", "absolute value", _latest),
        Function("log", ("value",), ("x",), "value",
                 "natural logarithm (undefined for x ≤ 0)", _latest),
        Function("sqrt", ("value",), ("x",), "value",
                 "square root (undefined for x < 0)", _latest),
        Function("min", ("value", "value"), ("a", "b"), "value", "the smaller of a and b",
                 _latest),
        Function("max", ("value", "value"), ("a", "b"), "value", "the larger of a and b",
                 _latest),
        Function("ref", ("ticker", "series"), ("ticker", "x"), "series",
                 "x computed on another catalog ticker's bars, as known at this bar's close "
                 "(its last bar at or before this bar)", _latest),
        Function("tf", ("timeframe", "series"), ("timeframe", "x"), "series",
                 "x computed on 1d, 1w or 1M bars (UTC calendar periods), from the last "
                 "period that has ended", _latest),
    )
}  # fmt: skip
"""Every function, by name (the order of the reference in docs/rules.md)."""

OTHER_BARS = ("ref", "tf")
"""Functions whose series argument is computed on other bars than the run's (another
ticker's, a higher timeframe's) and then aligned to the run's bars."""

SUGAR = ("macd_signal", "macd_hist", "bb_mid", "bb_upper", "bb_lower")
"""Functions rewritten into others by ``rules.expr.check`` before evaluation."""

ELEMENTWISE: dict[str, Callable] = {
    "abs": np.abs,
    "log": np.log,
    "sqrt": np.sqrt,
    "min": np.minimum,
    "max": np.maximum,
    "crossover": cross_above,
    "crossunder": cross_below,
}
"""The vectorised functions: numpy (or the project's crossing detectors) over (K, T)
arrays."""
