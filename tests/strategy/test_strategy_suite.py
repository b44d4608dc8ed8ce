"""Strategy classes of backtesting.py 0.6.6's own test suite (backtesting/test/_test.py) that
use only the API ``backtest_strategy`` offers, run both ways: equal equity and trades, and
the literal figures its tests assert (``test_spread_commission``, ``test_commissions``,
``test_trade_enter_hit_sl_on_same_day``, ``test_stop_price_between_sl_tp``)."""

from __future__ import annotations

import warnings

import backtesting
import backtesting.lib
import numpy as np
import pandas as pd
import pytest
from backtesting.test import EURUSD, GOOG

import backtest_strategy
from backtest_strategy import Strategy
from backtest_strategy.lib import crossover
from tests.strategy.peer import assert_same, run_both, sma, sma_cross

SHORT_DATA = GOOG.iloc[:20]
FEW_DAYS = pd.Timedelta("3 days")


def suite_sma_cross(base, cross):
    """The suite's ``SmaCross`` (10/30)."""
    return sma_cross(base, cross, 10, 30)


@pytest.mark.parametrize(("name", "df"), [("GOOG", GOOG), ("EURUSD", EURUSD)])
def test_suite_sma_cross(name, df):
    peer, ours = run_both(suite_sma_cross, df, finalize_trades=True)
    assert assert_same(peer, ours) > 0


def test_broker_params():
    """The suite's ``test_broker_params``: cash 1000, spread 1 %, margin 10 %, on close."""
    peer, ours = run_both(
        suite_sma_cross, GOOG.iloc[:100], cash=1000, spread=0.01, margin=0.1, trade_on_close=True
    )
    assert_same(peer, ours)


def bordercases(base, cross):
    """The suite's ``test_compute_stats_bordercase`` strategies, one per call."""

    class SingleTrade(base):
        def init(self):
            self._done = False

        def next(self):
            if not self._done:
                self.buy()
                self._done = True
            if self.position:
                self.position.close()

    class SinglePosition(base):
        def init(self):
            pass

        def next(self):
            if not self.position:
                self.buy()

    class NoTrade(base):
        def init(self):
            pass

        def next(self):
            pass

    return SingleTrade, SinglePosition, NoTrade


@pytest.mark.parametrize("k", range(3))
def test_bordercase_strategies(k):
    peer, ours = run_both(lambda b, c: bordercases(b, c)[k], GOOG.iloc[:100], finalize_trades=True)
    assert_same(peer, ours)
    assert not ours["_equity_curve"]["Equity"].isnull().any()


def test_spread_commission():
    class S(Strategy):
        def init(self):
            pass

        def next(self):
            if not self.position:
                self.buy()
            else:
                self.position.close()
                self.next = lambda: None

    stats = backtest_strategy.Backtest(
        SHORT_DATA, S, cash=10_000, spread=0.01, commission=0.01, finalize_trades=True
    ).run()
    assert stats["_trades"]["EntryPrice"].iloc[0] == SHORT_DATA["Open"].iloc[2] * 1.01
    equity = stats["_equity_curve"]["Equity"].iloc[2:4].round(2).tolist()
    assert equity == [9685.31, 9749.33]
    stats = backtest_strategy.Backtest(
        SHORT_DATA, S, cash=10_000, commission=(100, 0.01), finalize_trades=True
    ).run()
    assert stats["_equity_curve"]["Equity"].iloc[2:4].round(2).tolist() == [9784.50, 9718.69]


def test_commissions():
    class S(Strategy):
        def next(self):
            if len(self.data) == 2:
                self.buy(size=100, tp=3)

    arr = np.r_[1, 1, 1, 2, 4, 1, 2].astype(float)
    df = pd.DataFrame({"Open": arr, "High": arr, "Low": arr, "Close": arr})
    stats = backtest_strategy.Backtest(df, S, cash=5000, commission=(10, 0.01)).run()
    paid = 10 + 0.01 * 100 * 1 + 10 + 0.01 * 100 * 4
    assert stats["Commissions [$]"] == paid
    assert stats["_trades"]["Commission"][0] == paid
    assert stats["Equity Final [$]"] == 5000 + (4 - 1) * 100 - paid


def test_trade_enter_hit_sl_on_same_day():
    the_day = pd.Timestamp("2012-10-17 00:00:00")

    class Market(Strategy):
        def next(self):
            if self.data.index[-1] == the_day:
                self.buy(sl=720)

    class Stop(Strategy):
        def next(self):
            if self.data.index[-1] == the_day:
                self.buy(stop=758, sl=720)

    assert backtest_strategy.Backtest(GOOG, Market).run()._trades.iloc[0].ExitPrice == 720
    assert backtest_strategy.Backtest(GOOG, Stop).run()._trades.iloc[0].ExitPrice == 705.58


def test_stop_price_between_sl_tp():
    class S(Strategy):
        def next(self):
            if self.data.index[-1] == pd.Timestamp("2004-09-09 00:00:00"):
                self.buy(stop=104, sl=103, tp=110)

    assert backtest_strategy.Backtest(GOOG, S).run()._trades.iloc[0].EntryPrice == 104


def test_position_close_portion():
    def make(base, cross):
        class SmaCross(base):
            def init(self):
                self.sma1 = self.I(sma, self.data.Close, 10)
                self.sma2 = self.I(sma, self.data.Close, 20)

            def next(self):
                if not self.position and cross(self.sma1, self.sma2):
                    self.buy(size=10)
                if self.position and cross(self.sma2, self.sma1):
                    self.position.close(portion=0.5)

        return SmaCross

    peer, ours = run_both(make, GOOG, spread=0.002)
    assert assert_same(peer, ours) > 0


@pytest.mark.parametrize("finalize", [False, True])
def test_close_orders_from_last_strategy_iteration(finalize):
    class S(Strategy):
        def next(self):
            if not self.position:
                self.buy()
            elif len(self.data) == len(SHORT_DATA):
                self.position.close()

    trades = backtest_strategy.Backtest(SHORT_DATA, S, finalize_trades=finalize).run()._trades
    assert trades.empty is not finalize


def test_check_adjusted_price_when_placing_order():
    class S(Strategy):
        def next(self):
            self.buy(tp=self.data.Close * 1.01)

    with pytest.raises(ValueError, match="sl/tp"):
        backtest_strategy.Backtest(SHORT_DATA, S, spread=0.02).run()


def assertive(base, crossover):
    """The suite's ``Assertive`` strategy (without ``resample_apply``, not offered)."""

    class Assertive(base):
        def init(self):
            self.sma = self.I(sma, self.data.Close, 10)
            assert self.data.pip == 0.01
            assert float(self.data.Close) == self.data.Close[-1]

        def next(self):
            assert self.equity >= 0
            assert not np.isnan(self.sma[-1])
            if crossover(self.sma, self.data.Close):
                for order in self.orders:
                    if not order.is_contingent:
                        order.cancel()
                price = self.data.Close[-1]
                sl, tp = 1.05 * price, 0.9 * price
                n_orders = len(self.orders)
                self.sell(size=0.21, limit=price, stop=price, sl=sl, tp=tp)
                assert len(self.orders) == n_orders + 1
                order = self.orders[-1]
                assert (order.limit, order.stop, order.size) == (price, price, -0.21)
                assert (order.sl, order.tp, order.is_contingent) == (sl, tp, False)
            elif self.position:
                assert self.position.is_short and self.position.size < 0
                assert self.position.pl and self.position.pl_pct
                trade = self.trades[0]
                if self.data.index[-1] - self.data.index[trade.entry_bar] > FEW_DAYS:
                    assert trade.is_short and trade.size < 0 and trade.entry_bar > 0
                    assert isinstance(trade.entry_time, pd.Timestamp)
                    assert trade.exit_bar is None and trade.exit_time is None
                    assert trade.value > 0 and trade.sl and trade.tp
                    for portion in (0.5, 0.5, 0.5, 1.0, 1.0):
                        self.position.close(portion)

    return Assertive


def test_assertive_strategy_reads_what_it_placed():
    """Orders it places show at once, positions and trades read back, repeated partial
    closes: the same run as backtesting.py's."""
    peer, ours = run_both(assertive, GOOG, finalize_trades=True)
    assert assert_same(peer, ours) > 100


def test_run_invalid_param():
    with pytest.raises(AttributeError, match="missing parameter 'foo'"):
        backtest_strategy.Backtest(GOOG, sma_cross(Strategy, crossover)).run(foo=3)


def test_params_are_class_attributes():
    stats = backtest_strategy.Backtest(GOOG.iloc[:100], sma_cross(Strategy, crossover)).run(fast=11)
    assert str(stats["_strategy"]) == "SmaCross(fast=11)"
    assert stats["_strategy"].fast == 11


PeerSmaCross = suite_sma_cross(backtesting.Strategy, backtesting.lib.crossover)
PeerSmaCross.__qualname__ = "PeerSmaCross"  # backtesting.py's optimize pickles the class
PeerSmaCross.__module__ = __name__


def test_optimize_finds_backtesting_pys_best_and_heatmap():
    """A grid of the quick start's windows (fast < slow), maximising the final equity: the
    same best combination and the same score for every combination."""
    grid = {"fast": [5, 10, 15], "slow": [20, 30, 40]}

    def admissible(p):
        return p.fast < p.slow

    data = GOOG.iloc[:600]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer, peer_map = backtesting.Backtest(data, PeerSmaCross).optimize(
            maximize="Equity Final [$]", constraint=admissible, return_heatmap=True, **grid
        )
    ours, our_map = backtest_strategy.Backtest(data, suite_sma_cross(Strategy, crossover)).optimize(
        maximize="Equity Final [$]", constraint=admissible, return_heatmap=True, **grid
    )
    assert (ours["_strategy"].fast, ours["_strategy"].slow) == (
        peer["_strategy"].fast,
        peer["_strategy"].slow,
    )
    np.testing.assert_allclose(our_map.sort_index(), peer_map.sort_index(), rtol=1e-9)
    with pytest.raises(ValueError, match="maximize"):
        backtest_strategy.Backtest(data, suite_sma_cross(Strategy, crossover)).optimize(
            maximize="SQN", fast=[5]
        )
