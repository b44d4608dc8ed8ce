"""backtesting.py 0.6.6's own strategies run through ``backtest_strategy`` give its equity on
every bar (1e-9 relative) and its trades: the quick start's ``SmaCross`` on GOOG and on
random series, and one strategy per order feature (stop-loss and take-profit, limit, stop and
stop-limit entries, partial closes, ``Trade.sl``/``tp`` changes, cancels, exclusive orders,
hedging, trade on close, finalized trades, spread, fixed and per-share fees, margin)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.bars import goog_frame
from tests.strategy.peer import assert_same, random_frame, run_both, sma, sma_cross


@pytest.fixture(scope="module")
def goog() -> pd.DataFrame:
    return goog_frame()


def test_sma_cross_on_goog_matches_backtesting_py(goog):
    """The quick start (cash 10 000, commission 0.2 %): 93 trades, every bar's equity."""
    peer, ours = run_both(sma_cross, goog, cash=10_000, commission=0.002)
    assert assert_same(peer, ours) == 93
    assert ours["Equity Final [$]"] == pytest.approx(peer["Equity Final [$]"], rel=1e-12)
    assert ours["# Trades"] == peer["# Trades"]


def test_sma_cross_through_json_matches(goog):
    """State and decisions passed through JSON (as the sandbox's pipe passes them) give
    the same run: the boundary carries plain data only."""
    peer, ours = run_both(sma_cross, goog, wire=True, cash=10_000, commission=0.002)
    assert assert_same(peer, ours) == 93


@pytest.mark.parametrize("seed", range(8))
def test_sma_cross_on_random_series(seed):
    df = random_frame(seed, 300)
    peer, ours = run_both(
        lambda b, c: sma_cross(b, c, 5, 15), df, cash=100_000, commission=0.001, spread=0.0005
    )
    assert_same(peer, ours)


def brackets(base, crossover):
    """Market entries with a stop-loss and a take-profit around the close."""

    class Brackets(base):
        def init(self):
            self.sma1 = self.I(sma, self.data.Close, 3)
            self.sma2 = self.I(sma, self.data.Close, 8)

        def next(self):
            close = self.data.Close[-1]
            if crossover(self.sma1, self.sma2):
                self.buy(sl=close * 0.97, tp=close * 1.04, tag="long")
            elif crossover(self.sma2, self.sma1):
                self.sell(size=0.5, sl=close * 1.03, tp=close * 0.95, tag="short")

    return Brackets


def entry_orders(base, crossover):
    """Limit, stop and stop-limit entries, each with brackets, cancelled after 5 bars."""

    class EntryOrders(base):
        def init(self):
            pass

        def next(self):
            close, i = self.data.Close[-1], len(self.data)
            for order in self.orders:
                if not order.is_contingent and order.tag is not None and i - order.tag > 5:
                    order.cancel()
            if i % 7 == 0:
                self.buy(size=10, limit=close * 0.99, sl=close * 0.95, tp=close * 1.05, tag=i)
            elif i % 7 == 2:
                self.sell(size=7, stop=close * 0.99, sl=close * 1.04, tp=close * 0.96, tag=i)
            elif i % 7 == 4:
                self.buy(size=0.2, stop=close * 1.005, limit=close * 1.01, tag=i)
            elif i % 7 == 5:
                self.sell(size=5, stop=close * 0.995, limit=close * 0.99, tag=i)

    return EntryOrders


def partial_closes(base, crossover):
    """Trades closed in parts, by the position and by trade; SL and TP moved and removed."""

    class PartialCloses(base):
        def init(self):
            pass

        def next(self):
            i, close = len(self.data), self.data.Close[-1]
            if i % 5 == 0:
                self.buy(size=30)
            if i % 5 == 2 and self.position:
                self.position.close(0.3)
            if i % 9 == 3 and self.trades:
                self.trades[0].close(np.float32(0.5))
            if i % 6 == 1:
                for trade in self.trades:
                    if trade.is_long:
                        trade.sl = self.data.Close * 0.98  # an array: its last value
                        trade.tp = None if trade.tp else close * 1.03
            if i % 11 == 10:
                self.sell(size=45)
            if i % 13 == 12 and self.position.pl_pct > 1:
                self.position.close()

    return PartialCloses


FEATURES = {
    "brackets": (brackets, {}),
    "entry orders": (entry_orders, {}),
    "partial closes": (partial_closes, {}),
    "exclusive orders": (brackets, {"exclusive_orders": True}),
    "hedging": (entry_orders, {"hedging": True}),
    "trade on close": (partial_closes, {"trade_on_close": True}),
    "trade on close, orders": (entry_orders, {"trade_on_close": True}),
    "finalized trades": (brackets, {"finalize_trades": True}),
    "spread": (entry_orders, {"spread": 0.001}),
    "fixed fee": (partial_closes, {"commission": (3.0, 0.001)}),
    "margin": (brackets, {"margin": 0.5}),
}


@pytest.mark.parametrize("feature", FEATURES)
@pytest.mark.parametrize("seed", range(3))
def test_feature_matches_backtesting_py(feature, seed):
    make, settings = FEATURES[feature]
    peer, ours = run_both(make, random_frame(seed), cash=100_000, **settings)
    n = assert_same(peer, ours)
    assert n > 0


def test_per_share_fee_matches_a_callable_commission():
    """The per-share fee with its minimum and maximum (a field every run has) equals
    backtesting.py's callable commission of the same formula."""

    peer, ours = run_both(
        partial_closes,
        random_frame(4),
        cash=100_000,
        peer_commission=lambda size, price: min(max(abs(size) * 0.05, 1.0), 4.0),
        ours={"fee_per_share": 0.05, "fee_min": 1.0, "fee_max": 4.0},
    )
    assert assert_same(peer, ours) > 0


def test_out_of_money_stops_the_run():
    """A leveraged short into a rally: equity reaches 0, every trade is closed there and
    the remaining bars stay at 0, as in backtesting.py."""
    n = 60
    close = 100 * 1.08 ** np.arange(n)
    df = pd.DataFrame(
        {"Open": close, "High": close * 1.01, "Low": close * 0.99, "Close": close},
        index=pd.date_range("2021-01-01", periods=n, freq="D"),
    )

    def short(base, crossover):
        class Short(base):
            def init(self):
                pass

            def next(self):
                if not self.position:
                    self.sell(size=0.9)

        return Short

    peer, ours = run_both(short, df, cash=10_000, margin=0.1)
    assert_same(peer, ours)
    assert ours["_equity_curve"]["Equity"].iloc[-1] == 0


SAME_DEFINITION = (
    "Equity Final [$]",
    "Equity Peak [$]",
    "Commissions [$]",
    "Return [%]",
    "CAGR [%]",
    "Max. Drawdown [%]",
    "# Trades",
    "Win Rate [%]",
    "Best Trade [%]",
    "Worst Trade [%]",
)
"""The statistics the platform defines as backtesting.py does (docs/strategies.md)."""


def test_statistics_equal_backtesting_pys_where_defined_alike(goog):
    peer, ours = run_both(sma_cross, goog, cash=10_000, commission=0.002)
    for name in SAME_DEFINITION:
        assert ours[name] == pytest.approx(peer[name], rel=1e-9), name
    assert ours["Max. Drawdown Duration [days]"] == peer["Max. Drawdown Duration"].days
    assert ours["Start"] == peer["Start"] and ours["Duration"] == peer["Duration"]


def bands(values, n, k):
    """Bollinger-like bands as a 2-d indicator (upper, lower)."""
    mean = pd.Series(values).rolling(n).mean()
    std = pd.Series(values).rolling(n).std()
    return mean + k * std, mean - k * std


def band_reversion(base, crossover):
    """A 2-d indicator, ``.s`` and ``.df`` accessors and a limit exit at the upper band."""

    class BandReversion(base):
        n = 15

        def init(self):
            self.bands = self.I(bands, self.data.Close, self.n, 1.5)

        def next(self):
            upper = self.bands[0][-1]
            assert self.data.Close.s.index[-1] == self.data.index[-1]
            assert len(self.data.df) == len(self.data)
            if not self.position and crossover(self.bands[1], self.data.Close):
                self.buy(size=0.5, sl=self.data.Close[-1] * 0.9)
            elif self.position and not self.orders:
                self.sell(size=abs(self.position.size), limit=upper)

    return BandReversion


@pytest.mark.parametrize("seed", range(3))
def test_two_dimensional_indicator_and_accessors(seed):
    peer, ours = run_both(
        band_reversion, random_frame(seed, 250), cash=50_000, commission=0.001, finalize_trades=True
    )
    assert assert_same(peer, ours) > 0
