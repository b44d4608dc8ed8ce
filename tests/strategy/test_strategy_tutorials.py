"""Strategies of backtesting.py's tutorials ("Library of Composable Base Strategies",
"Multiple Time Frames"), built on either library's ``lib`` (``SignalStrategy``,
``TrailingStrategy``, ``resample_apply``), give equal equity and trades on GOOG."""

from __future__ import annotations

import warnings

import backtesting
import backtesting.lib
import numpy as np
import pandas as pd
import pytest
from backtesting.test import GOOG

import backtest_strategy
import backtest_strategy.lib
from tests.strategy.peer import assert_same, sma


def rsi(array, n):
    """The tutorial's simple RSI (mean gains over mean losses of n bars)."""
    gain = pd.Series(array).diff()
    loss = gain.copy()
    gain[gain < 0] = 0
    loss[loss > 0] = 0
    rs = gain.ewm(n).mean() / loss.abs().ewm(n).mean()
    return 100 - 100 / (1 + rs)


def composable(lib):
    """The composable-strategies tutorial: an SMA cross as an entry signal, a trailing
    stop-loss two ATRs away. ``lib``: either library's ``lib`` module (each holds its
    ``Strategy``)."""

    class System(lib.SignalStrategy, lib.TrailingStrategy):
        n1, n2 = 10, 25

        def init(self):
            super().init()
            sma1 = self.I(sma, self.data.Close, self.n1)
            sma2 = self.I(sma, self.data.Close, self.n2)
            signal = (pd.Series(sma1) > sma2).astype(int).diff().fillna(0)
            signal = signal.replace(-1, 0)
            self.set_signal(entry_size=signal * 0.95)
            self.set_trailing_sl(2)

    return System


def time_frames(lib):
    """The multiple-time-frames tutorial: daily and weekly RSI, an SMA filter."""

    class System(lib.Strategy):
        d_rsi, w_rsi, level = 30, 30, 70

        def init(self):
            self.ma10 = self.I(sma, self.data.Close, 10)
            self.ma20 = self.I(sma, self.data.Close, 20)
            self.daily_rsi = self.I(rsi, self.data.Close, self.d_rsi)
            self.weekly_rsi = lib.resample_apply("W-FRI", rsi, self.data.Close, self.w_rsi)

        def next(self):
            price = self.data.Close[-1]
            if (
                not self.position
                and self.daily_rsi[-1] > self.level
                and self.weekly_rsi[-1] > self.level
                and self.weekly_rsi[-1] > self.daily_rsi[-1]
                and self.ma10[-1] > self.ma20[-1]
                and price > self.ma10[-1]
            ):
                self.buy(sl=0.92 * price)
            elif price < 0.98 * self.ma10[-1]:
                self.position.close()

    return System


@pytest.mark.parametrize("make", [composable, time_frames])
def test_tutorial_strategy_matches_backtesting_py(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = backtesting.Backtest(GOOG, make(backtesting.lib), commission=0.002).run()
    ours = backtest_strategy.Backtest(GOOG, make(backtest_strategy.lib), commission=0.002).run()
    assert assert_same(peer, ours) > 0


def test_resample_apply_outside_a_strategy_is_a_plain_series():
    close = GOOG.Close
    weekly = backtest_strategy.lib.resample_apply("W-FRI", None, close)
    assert isinstance(weekly, pd.Series) and len(weekly) == len(close)
    assert np.isnan(weekly.iloc[0]) or weekly.iloc[0] <= close.max()
