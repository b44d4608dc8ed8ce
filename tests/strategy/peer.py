"""The harness of the strategy parity tests (no tests here): one strategy written once,
built on backtesting.py's ``Strategy`` and on ours, run on the same frame with the same
settings, and compared bar by bar and trade by trade.

``sma_cross`` is backtesting.py's quick-start strategy on either API (the bench's);
``random_frame`` builds random OHLC bars (a seeded random walk, dated daily);
``run_both`` runs a strategy factory ``make(Strategy, crossover)`` through backtesting.py
0.6.6 and through ``backtest_strategy.Backtest``; ``assert_same`` holds the equity on every
bar to 1e-9 relative and every closed trade equal.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import backtesting
import backtesting.lib
import numpy as np
import pandas as pd

import backtest_strategy
from backtest_strategy import lib
from bench.strategy_bench import sma, sma_cross

__all__ = ["assert_same", "random_frame", "run_both", "sma", "sma_cross"]

TRADE_COLUMNS = ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice", "SL", "TP")
"""The trade columns that must be bit-equal."""
MONEY_COLUMNS = ("PnL", "Commission", "ReturnPct")
"""The derived trade columns, held to 1e-9 relative like the equity."""


def random_frame(seed: int, n: int = 120) -> pd.DataFrame:
    """``n`` daily bars of a seeded random walk around 100, with highs and lows around
    the open and close."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.005, n))
    top = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.01, n)))
    bottom = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.01, n)))
    index = pd.date_range("2020-01-01", periods=n, freq="D")
    return pd.DataFrame(
        {"Open": open_, "High": top, "Low": bottom, "Close": close, "Volume": 1e6}, index=index
    )


def run_both(
    make: Callable, df: pd.DataFrame, wire: bool = False, **settings
) -> tuple[pd.Series, pd.Series]:
    """(backtesting.py's stats, ours) of the strategy ``make(Strategy, crossover)`` builds.
    A callable commission (backtesting.py's way to a per-share fee) is given to ours as
    ``ours`` keyword arguments instead."""
    ours_only = settings.pop("ours", {})
    peer_commission = settings.pop("peer_commission", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer_settings = dict(settings)
        if peer_commission is not None:
            peer_settings["commission"] = peer_commission
        peer = backtesting.Backtest(
            df, make(backtesting.Strategy, backtesting.lib.crossover), **peer_settings
        ).run()
    ours = backtest_strategy.Backtest(
        df, make(backtest_strategy.Strategy, lib.crossover), wire=wire, **settings, **ours_only
    ).run()
    return peer, ours


def assert_same(peer: pd.Series, ours: pd.Series) -> int:
    """Equity on every bar to 1e-9 relative, every closed trade equal; the trade count."""
    peer_equity = peer["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(ours["_equity_curve"]["Equity"], peer_equity, rtol=1e-9, atol=0)
    theirs, mine = peer["_trades"], ours["_trades"]
    assert len(mine) == len(theirs)
    for column in TRADE_COLUMNS:
        expected = theirs[column].to_numpy(dtype=np.float64)
        np.testing.assert_array_equal(mine[column].to_numpy(dtype=np.float64), expected, column)
    for column in MONEY_COLUMNS:
        expected = theirs[column].to_numpy(dtype=np.float64)
        got = mine[column].to_numpy(dtype=np.float64)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, err_msg=column)
    assert mine["Tag"].tolist() == theirs["Tag"].tolist()
    assert (mine["EntryTime"] == theirs["EntryTime"]).all()
    return len(mine)
