"""Helpers for strategies, as backtesting.py's ``lib``: pure functions of arrays
(``crossover``, ``cross``, ``barssince``), ``resample_apply`` for an indicator on a coarser
time frame, and the composable ``SignalStrategy`` and ``TrailingStrategy``; ``indicator``
names the platform's indicators (``backtest_strategy.indicators``). numpy, pandas and the
standard library only (this runs inside the strategy sandbox)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from itertools import compress
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

from backtest_strategy.indicators import indicator
from backtest_strategy.strategy import Strategy, _as_str

__all__ = [
    "OHLCV_AGG",
    "SignalStrategy",
    "TrailingStrategy",
    "barssince",
    "cross",
    "crossover",
    "indicator",
    "resample_apply",
]


def barssince(condition: Sequence[bool], default: float = np.inf) -> float:
    """The number of bars since ``condition`` was last true, ``default`` if never.

    >>> barssince(np.array([True, False, False]))
    2
    """
    return next(compress(range(len(condition)), reversed(condition)), default)


def cross(series1: Any, series2: Any) -> bool:
    """Whether ``series1`` and ``series2`` just crossed, either way.

    >>> cross(np.array([1, 3]), np.array([2, 2]))
    True
    """
    return crossover(series1, series2) or crossover(series2, series1)


def crossover(series1: Any, series2: Any) -> bool:
    """Whether ``series1`` just crossed over (above) ``series2``: below it on the previous
    bar, above it on the current one. Either may be a number.

    >>> crossover(np.array([1, 3]), 2)
    True
    """
    if not (isinstance(series1, np.ndarray) and isinstance(series2, np.ndarray)):
        series1, series2 = _pair(series1), _pair(series2)  # two arrays (most calls) as given
    try:
        return bool(series1[-2] < series2[-2] and series1[-1] > series2[-1])
    except IndexError:
        return False


def _pair(series: Any) -> Any:
    """``crossover``'s view of a series: its values, or a number as its last two."""
    if isinstance(series, np.ndarray):  # an indicator or a column: neither test below holds
        return series
    if isinstance(series, pd.Series):
        return series.values
    return (series, series) if isinstance(series, Number) else series


OHLCV_AGG = {"Open": "first", "High": "max", "Low": "min", "Close": "last", "Volume": "sum"}
"""How ``resample_apply`` aggregates each OHLCV column to a coarser bar."""


def _declaring_strategy() -> Strategy | None:
    """The strategy whose method (``init``) called the caller of ``resample_apply``, found
    a few frames up, as backtesting.py finds it; None outside a strategy."""
    frame = inspect.currentframe()
    for _ in range(5):
        frame = frame.f_back if frame else None
        if frame is None:
            return None
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Strategy):
            return candidate
    return None


def resample_apply(
    rule: str,
    func: Callable | None,
    series: Any,
    *args: Any,
    agg: str | dict | None = None,
    **kwargs: Any,
) -> Any:
    """``func(resampled, *args, **kwargs)`` on ``series`` resampled to ``rule`` (a pandas
    offset: "W-FRI", "D" ...; bars labelled by their right edge, so no look-ahead), mapped
    back onto the bars by carrying each coarse value forward. Called in ``init`` it is
    declared with ``Strategy.I``. ``agg``: how groups aggregate (by default ``OHLCV_AGG``
    for a column of that name, else "last").

    >>> resample_apply("W-FRI", None, close_series)  # doctest: +SKIP
    """
    func = func or (lambda x, *_, **__: x)
    if not isinstance(series, pd.Series | pd.DataFrame):
        series = series.s
    if agg is None:
        if isinstance(series, pd.DataFrame):
            agg = {column: OHLCV_AGG.get(column, "last") for column in series.columns}
        else:
            agg = OHLCV_AGG.get(getattr(series, "name", ""), "last")
    coarse = series.resample(rule, label="right").agg(agg).dropna()
    coarse.name = f"{_as_str(series)}[{rule}]"

    def on_bars(coarse: Any, *args: Any, **kwargs: Any) -> Any:
        out = func(coarse, *args, **kwargs)
        if not isinstance(out, pd.Series | pd.DataFrame):
            out = np.asarray(out)
            out = pd.Series(out, name=coarse.name) if out.ndim == 1 else pd.DataFrame(out.T)
        if not isinstance(out.index, pd.DatetimeIndex):
            out.index = coarse.index
        both = series.index.union(coarse.index)
        return out.reindex(index=both, method="ffill").reindex(series.index)

    on_bars.__name__ = getattr(func, "__name__", "resampled")
    strategy = _declaring_strategy()
    if strategy is None:
        return on_bars(coarse, *args, **kwargs)
    return strategy.I(on_bars, coarse, *args, **kwargs)


class SignalStrategy(Strategy):
    """A strategy that trades entry and exit vectors set in ``init`` with ``set_signal``:
    each bar an entry size > 0 buys it (< 0 sells), an exit portion > 0 closes that portion
    of the long trades (< 0 of the short ones). Call ``super().init()`` and
    ``super().next()`` from your overrides."""

    __entry_signal: Any = (0,)
    __exit_signal: Any = (False,)

    def set_signal(
        self,
        entry_size: Sequence[float],
        exit_portion: Sequence[float] | None = None,
        *,
        plot: bool = True,
    ) -> None:
        """The entry sizes (``Order.size``'s meaning, 0: none) and exit portions per bar."""
        self.__entry_signal = self.__signal(entry_size, "entry size", plot)
        if exit_portion is not None:
            self.__exit_signal = self.__signal(exit_portion, "exit portion", plot)

    def __signal(self, values: Sequence[float], name: str, plot: bool) -> Any:
        """``values`` as a ``scatter`` indicator (it does not delay the start), 0 as NaN."""
        series = pd.Series(values, dtype=float).replace(0, np.nan)
        return self.I(lambda: series, name=name, plot=plot, overlay=False, scatter=True)

    def next(self) -> None:
        super().next()
        portion = self.__exit_signal[-1]
        if portion > 0 or portion < 0:
            for trade in self.trades:
                if trade.is_long == (portion > 0):
                    trade.close(abs(portion))
        size = self.__entry_signal[-1]
        if size > 0:
            self.buy(size=size)
        elif size < 0:
            self.sell(size=-size)


class TrailingStrategy(Strategy):
    """A strategy whose open trades' stop-loss trails the close by a multiple of the average
    true range (``set_trailing_sl``, 6 by default; ``set_atr_periods``, 100 by default),
    never loosened. Call ``super().init()`` and ``super().next()`` from your overrides."""

    __n_atr: float = 6.0
    __atr: Any = None

    def init(self) -> None:
        super().init()
        self.set_atr_periods()

    def set_atr_periods(self, periods: int = 100) -> None:
        """The ATR's look-back: the mean true range of ``periods`` bars (back-filled)."""
        high, low = self.data.High, self.data.Low
        prev_close = pd.Series(self.data.Close).shift(1)
        true_range = np.max(
            [high - low, (prev_close - high).abs(), (prev_close - low).abs()], axis=0
        )
        self.__atr = pd.Series(true_range).rolling(periods).mean().bfill().values

    def set_trailing_sl(self, n_atr: float = 6) -> None:
        """Trail the stop-loss ``n_atr`` ATRs from the close."""
        self.__n_atr = n_atr

    def set_trailing_pct(self, pct: float = 0.05) -> None:
        """Trail about ``pct`` (0 < pct < 1) below the close: mean(close × pct / ATR) ATRs."""
        assert 0 < pct < 1, "Need pct= as rate, i.e. 5% == 0.05"
        self.set_trailing_sl(np.mean(self.data.Close * pct / self.__atr))

    def next(self) -> None:
        super().next()
        i = len(self.data) - 1
        distance = self.__atr[i] * self.__n_atr
        for trade in self.trades:
            if trade.is_long:
                trade.sl = max(trade.sl or -np.inf, self.data.Close[i] - distance)
            else:
                trade.sl = min(trade.sl or np.inf, self.data.Close[i] + distance)
