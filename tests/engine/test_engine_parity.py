"""The engine matches backtesting.py bar by bar on real data (GOOG.csv bundled with it).

Settings that give the match, and why:
* our side: long-only, size_type "percent" with position_size 100 (all-in), fee_rate 0.001,
  slippage 0 — the all-in share count is floor(cash / (price × (1 + fee))), which is exactly
  backtesting.py's default buy size (``size=1-ε`` of available margin divided by
  price + commission per share);
* backtesting.py: ``Backtest(..., cash=100_000, commission=0.001, trade_on_close=False)``, so
  an order placed in ``next()`` on bar t fills at bar t+1's open (our convention), commission
  is charged on entry and exit notional (our fee per side), and equity is cash + open P&L
  marked at each close (our mark-to-market); ``finalize_trades=False`` leaves the last trade
  open and valued at the last close, as we do.
* both sides trade on identical signals here (computed once in the test with pandas), so
  this file checks execution and accounting; test_runs_parity.py checks the rules too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from tests.bars import daily_bars
from tests.reference import crosses_above, wilder_rsi

ALL_IN = TradingParams(
    initial_capital=100_000, fee_rate=0.001, position_size=100, size_type="percent"
)


def _peer(df: pd.DataFrame, entries: np.ndarray, exits: np.ndarray):
    """Run backtesting.py with a strategy that acts on the given signals."""
    signal = entries.astype(int) - exits.astype(int)

    class Signals(Strategy):
        def init(self):
            self.signal = self.I(lambda: signal, name="signal")

        def next(self):
            if self.signal[-1] == 1 and not self.position:
                self.buy()
            elif self.signal[-1] == -1 and self.position:
                self.position.close()

    bt = Backtest(df, Signals, cash=100_000, commission=0.001, trade_on_close=False)
    return bt.run()


def _assert_same(df: pd.DataFrame, entries: np.ndarray, exits: np.ndarray) -> int:
    ours = run(Bars.from_dataframe(df), entries, exits, ALL_IN)
    stats = _peer(df, entries, exits)
    peer_equity = stats["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(ours.equity, peer_equity, rtol=1e-6, atol=0)
    open_peer = int(stats._strategy.position.size != 0)
    assert len(ours.trades) == stats["# Trades"] + open_peer
    closed = [t for t in ours.trades if not t.is_open]
    peer_trades = stats["_trades"]
    assert [t.size for t in closed] == peer_trades["Size"].tolist()
    assert [t.entry_bar for t in closed] == peer_trades["EntryBar"].tolist()
    assert [t.exit_bar for t in closed] == peer_trades["ExitBar"].tolist()
    np.testing.assert_allclose([t.pnl for t in closed], peer_trades["PnL"], rtol=1e-9)
    return len(ours.trades)


@pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning")
def test_sma_cross_equity_matches_backtesting_py_on_every_bar(goog):
    """SMA_CROSS(10, 20), all-in long-only with 0.1% fees: same equity on all 2,148 bars."""
    fast, slow = goog.Close.rolling(10).mean(), goog.Close.rolling(20).mean()
    n_trades = _assert_same(goog, crosses_above(fast, slow), crosses_above(slow, fast))
    assert n_trades > 30


@pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning")
def test_rsi_equity_matches_backtesting_py_on_every_bar(goog):
    """RSI(14) 30/70, all-in long-only with 0.1% fees: same equity and trades as the peer."""
    rsi = pd.Series(wilder_rsi(goog.Close.to_numpy(), 14), index=goog.index)
    n_trades = _assert_same(goog, (rsi < 30).to_numpy(), (rsi > 70).to_numpy())
    assert n_trades >= 5


def test_value_sizing_buys_floor_of_budget_over_price_with_fee():
    """A 10,000 budget at a 123.45 open with 0.1% fee buys floor(10000 / 123.57345) = 80."""
    bars = daily_bars([100.0, 123.45, 130.0])
    res = run(bars, np.array([True, False, False]), np.zeros(3, bool), TradingParams())
    (trade,) = res.trades
    assert trade.size == 80 and trade.entry_bar == 1 and trade.is_open
    assert trade.entry_fee == pytest.approx(80 * 123.45 * 0.001)
    assert res.cash[1] == pytest.approx(100_000 - 80 * 123.45 * 1.001)
