"""Limit, stop, stop-limit and on-close entries match backtesting.py 0.6.6's orders.

The peer strategy places ``self.buy(limit=…, stop=…)`` (``sell`` for a short) in ``next()``
on the signal bar with the prices ours computes on that bar, and follows our documented
convention (docs/execution.md, "Entry orders") where backtesting.py has none:

* **expiry** (``valid_bars``): backtesting.py's orders never expire, so the peer cancels
  its order in ``next()`` on the order's last bar when it has not filled;
* **a new signal while an order is pending**: the peer cancels the pending order on a
  change of side, and keeps it on a repeated signal of the same side; after an expiry, a
  broker cancellation or a stop, the next signal for a side places a new order;
* **stops from the actual fill price**: backtesting.py's ``sl=``/``tp=`` are prices fixed
  at placement, before the fill price of a limit or stop order is known; the test wraps the
  peer broker's ``_open_trade`` to set them from its fill price (it then checks them in the
  fill bar as its broker does);
* **on-close fills** (``trade_on_close=True``): the peer fills while processing the bar
  after the signal bar, so its equity of the signal bar does not hold the fill's fees yet;
  ours does (the fill is at that bar's close). Equity is compared on every bar with that
  difference named: on the fill bars ours is the peer's minus the fees paid there.

Equity on every bar within 1e-9 relative and every closed trade (bars, size, prices, PnL).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.backtesting import _Broker

from engine import Bars, TradingParams, run
from tests.engine.test_engine_stops_parity import assert_closed_trades_match


@pytest.fixture
def fill_price_stops(monkeypatch):
    """The peer's SL/TP set from its actual fill price: an order's ``tag`` ("pct", sl, tp)
    carries the percents, ``_Broker._open_trade`` turns them into prices."""
    original = _Broker._open_trade

    def _open_trade(self, price, size, sl, tp, time_index, tag):
        if isinstance(tag, tuple):
            side = 1.0 if size > 0 else -1.0
            sl = price * (1.0 - side * tag[1] / 100.0) if tag[1] else None
            tp = price * (1.0 + side * tag[2] / 100.0) if tag[2] else None
            tag = None
        return original(self, price, size, sl, tp, time_index, tag)

    monkeypatch.setattr(_Broker, "_open_trade", _open_trade)


def _peer(df, entries, exits, limit, stop, kind, valid, direction, sl, tp):
    """backtesting.py acting on the signals with entry orders, as ours documents them."""
    signal = entries.astype(int) - exits.astype(int)
    n_bars = len(df)
    longshort = direction == "longshort"

    class Orders(Strategy):
        def init(self):
            self.signal = self.I(lambda: signal, name="signal")
            self.previous, self.pending, self.placed, self.seen = 0, None, 0, 0
            self.opened_before, self.closing = 0, False

        def _close(self) -> None:
            for trade in self.trades:
                trade.sl = None
                trade.tp = None
            self.position.close()
            self.closing = True

        def _order(self, side: int, i: int):
            tag = ("pct", sl, tp)
            if kind == "on_close":
                base = df.Close.iloc[i]
                levels = _levels(base, side, sl, tp)
                return self.buy(tag=tag, **levels) if side > 0 else self.sell(tag=tag, **levels)
            prices = {}
            if kind in ("limit", "stop_limit"):
                prices["limit"] = float(limit[i])
            if kind in ("stop", "stop_limit"):
                prices["stop"] = float(stop[i])
            if not all(np.isfinite(p) and p > 0 for p in prices.values()):
                self.previous = 0  # a price missing on the signal bar: cancelled at once
                return None
            levels = _levels(prices.get("limit", prices.get("stop")), side, sl, tp)
            if side > 0:
                return self.buy(tag=tag, **prices, **levels)
            return self.sell(tag=tag, **prices, **levels)

        def next(self):
            i = len(self.data) - 1
            closed = len(self.closed_trades)
            if closed - self.seen > (1 if self.closing else 0):
                self.previous = 0  # a stop closed a trade
            self.seen, self.closing = closed, False
            if self.pending is not None:
                if self.pending not in self.orders:
                    if len(self.trades) + closed == self.opened_before:
                        self.previous = 0  # the broker cancelled it (no share affordable)
                    self.pending = None
                elif i >= self.placed + valid:
                    self.pending.cancel()
                    self.pending, self.previous = None, 0
            if i >= n_bars - 1 or signal[i] == 0:
                return
            side = max(signal[i], 0) if not longshort else signal[i]
            if side == self.previous:
                return
            self.previous = side
            if self.pending is not None:
                self.pending.cancel()
                self.pending = None
            if self.position and (self.position.is_long != (side > 0) or side == 0):
                self._close()
            if side:
                self.opened_before = len(self.trades) + len(self.closed_trades)
                order = self._order(side, i)
                if kind != "on_close":
                    self.pending, self.placed = order, i

    bt = Backtest(
        df,
        Orders,
        cash=100_000,
        commission=0.001,
        trade_on_close=kind == "on_close",
        finalize_trades=False,
    )
    return bt.run()


def _levels(price: float, side: int, sl: float | None, tp: float | None) -> dict:
    """SL/TP prices from an order's own price: what the peer's broker checks on the fill
    bar of a stop entry (its one same-bar exit) and a flag that it has stops; the trade's
    levels come from the fill price (``fill_price_stops``)."""
    levels = {}
    if sl:
        levels["sl"] = price * (1.0 - side * sl / 100.0)
    if tp:
        levels["tp"] = price * (1.0 + side * tp / 100.0)
    return levels


def _frame(bars: Bars) -> pd.DataFrame:
    return pd.DataFrame(
        {"Open": bars.open, "High": bars.high, "Low": bars.low, "Close": bars.close},
        index=pd.DatetimeIndex(bars.timestamps),
    )


def _compare(df, entries, exits, kind, valid, direction, sl=None, tp=None, k=1.0):
    bars = Bars.from_dataframe(df)
    close = bars.close
    limit = close * (1.0 - k / 100.0)
    stop = close * (1.0 + k / 100.0)
    params = TradingParams(
        initial_capital=100_000,
        fee_rate=0.001,
        position_size=100,
        size_type="percent",
        direction=direction,
        stop_loss_pct=sl,
        take_profit_pct=tp,
        entry_type=kind,
        valid_bars=valid,
    )
    ours = run(bars, entries, exits, params, limit=limit, stop=stop)
    stats = _peer(_frame(bars), entries, exits, limit, stop, kind, valid, direction, sl, tp)
    peer_equity = stats["_equity_curve"]["Equity"].to_numpy()
    expected = peer_equity.copy()
    if kind == "on_close":  # named difference: our fill bar already paid its fees
        for t in ours.trades:
            expected[t.entry_bar] -= t.entry_fee
            if not t.is_open and t.exit_reason == "signal":
                expected[t.exit_bar] -= t.exit_fee
    np.testing.assert_allclose(ours.equity, expected, rtol=1e-9, atol=0)
    assert_closed_trades_match(ours.trades, stats["_trades"])
    return ours


def _sma_cross(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    fast, slow = df.Close.rolling(10).mean(), df.Close.rolling(20).mean()
    up = (fast > slow) & (fast.shift() <= slow.shift())
    down = (fast < slow) & (fast.shift() >= slow.shift())
    return up.to_numpy(), down.to_numpy()


KINDS = ("limit", "stop", "stop_limit", "on_close")


@pytest.mark.usefixtures("fill_price_stops")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("sl", "tp"), [(None, None), (4.0, 6.0)])
@pytest.mark.parametrize("direction", ["longonly", "longshort"])
def test_entry_orders_match_backtesting_py_on_goog(goog, kind, sl, tp, direction):
    """GOOG, SMA_CROSS(10, 20), orders 1% from the signal close good for 3 bars: equity on
    every bar and every trade equal the peer's, with orders that fill and expire."""
    entries, exits = _sma_cross(goog)
    ours = _compare(goog, entries, exits, kind, 3, direction, sl, tp)
    statuses = set(ours.orders.status.tolist())
    assert 1 in statuses  # filled
    if kind != "on_close":
        assert 2 in statuses  # expired


def _random_frame(rng: np.random.Generator, n_bars: int) -> pd.DataFrame:
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n_bars)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, 0.01, n_bars))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, n_bars)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, n_bars)))
    index = pd.date_range("2020-01-01", periods=n_bars, freq="D")
    frame = {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": 1.0}
    return pd.DataFrame(frame, index=index)


@pytest.mark.usefixtures("fill_price_stops")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(100))
def test_entry_orders_match_backtesting_py_on_random_series(seed):
    """100 random series, random signals, order type, validity, offset, direction and
    stops: equity on every bar and every trade equal the peer's."""
    rng = np.random.default_rng(seed)
    n_bars = int(rng.integers(60, 300))
    df = _random_frame(rng, n_bars)
    entries = rng.random(n_bars) < 0.08
    exits = rng.random(n_bars) < 0.08
    entries[0] = exits[0] = False  # the peer's next() starts on bar 1
    kind = KINDS[seed % 4]
    direction = ("longonly", "longshort")[int(rng.integers(2))]
    sl = float(rng.choice([0.0, 3.0])) or None
    tp = float(rng.choice([0.0, 5.0])) or None
    valid = int(rng.integers(1, 6))
    k = float(rng.uniform(0.2, 2.0))
    _compare(df, entries, exits, kind, valid, direction, sl, tp, k)
