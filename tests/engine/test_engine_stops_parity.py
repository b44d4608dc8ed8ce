"""Stop-loss and take-profit match backtesting.py's ``sl=``/``tp=`` contingent orders on GOOG.

The peer mirrors our convention exactly (docs/execution.md, "Stops"):
* levels are percent of the entry fill price: the peer's order is placed on bar t's close and
  fills at bar t+1's open, so its SL/TP prices are computed from that next open (the test
  knows it) and set on the order with ``Order._replace`` (backtesting.py's own order
  validation compares them with bar t's close, which a gap makes meaningless here);
* a signal's exit fills at the open before any stop is checked: the peer cancels the trade's
  SL/TP (``trade.sl = None``) when it closes on a signal, otherwise its broker would run the
  SL first (its order queue puts SL orders in front) and fill at the stop price on a bar
  whose low reaches it, though the position was closed at the open;
* the rest is backtesting.py's broker as it is: SL before TP in the same bar, the fill at the
  stop price or at the open when the bar gaps through it, SL/TP active from the entry bar,
  and a stopped-out position stays flat until the next signal opens one.
Equity is compared on every bar (1e-9 relative) and every trade (bars, size, prices, PnL).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from tests.engine.test_engine_golden import squeeze_bars, squeeze_signals
from tests.reference import crosses_above, wilder_rsi


def _signals(goog: pd.DataFrame, rule: str) -> tuple[np.ndarray, np.ndarray]:
    if rule == "SMA_CROSS":
        fast, slow = goog.Close.rolling(10).mean(), goog.Close.rolling(20).mean()
        return crosses_above(fast, slow), crosses_above(slow, fast)
    rsi = wilder_rsi(goog.Close.to_numpy(), 14)
    return rsi < 30, rsi > 70


def _peer(
    df: pd.DataFrame,
    entries,
    exits,
    direction: str,
    sl_pct,
    tp_pct,
    *,
    commission: float | tuple[float, float] = 0.001,
    finalize_trades: bool = False,
    shares=None,
):
    """backtesting.py acting on the signals, with SL/TP set from the entry fill price.

    ``shares(strategy, entry)``, when given, is the whole share count each order is handed
    (else the broker's default relative size), the entry being the next open."""
    signal = entries.astype(int) - exits.astype(int)
    opens = df.Open.to_numpy()
    longshort = direction == "longshort"

    class Signals(Strategy):
        def init(self):
            self.signal = self.I(lambda: signal, name="signal")

        def _open(self, side: int) -> None:
            entry = float(opens[len(self.data)])  # the next open: the entry fill price
            size = shares(self, entry) if shares else None
            if size is not None and size < 1:
                return
            if size is None:
                order = self.buy() if side > 0 else self.sell()
            else:
                order = self.buy(size=size) if side > 0 else self.sell(size=size)
            order._replace(
                sl_price=entry * (1.0 - side * sl_pct / 100.0) if sl_pct else None,
                tp_price=entry * (1.0 + side * tp_pct / 100.0) if tp_pct else None,
            )

        def _close(self) -> None:
            for trade in self.trades:
                trade.sl = None
                trade.tp = None
            self.position.close()

        def next(self):
            if len(self.data) >= len(opens):
                return  # a signal on the last bar never fills
            position = self.position
            if self.signal[-1] == 1 and not position.is_long:
                if position:
                    self._close()
                self._open(1)
            elif self.signal[-1] == -1 and not position.is_short:
                if position.is_long:
                    self._close()
                if longshort:
                    self._open(-1)

    bt = Backtest(
        df,
        Signals,
        cash=100_000,
        commission=commission,
        trade_on_close=False,
        finalize_trades=finalize_trades,
    )
    return bt.run()


def assert_same_as_peer(ours, stats, atol: float = 0.0) -> list:
    """Our equity on every bar (1e-9 relative) and closed trades (size, bars, prices, PnL)
    equal the peer's ``Backtest.run`` statistics; returns those trades."""
    np.testing.assert_allclose(
        ours.equity, stats["_equity_curve"]["Equity"].to_numpy(), rtol=1e-9, atol=0
    )
    return assert_closed_trades_match(ours.trades, stats["_trades"], atol)


def assert_closed_trades_match(trades, peer: pd.DataFrame, atol: float = 0.0) -> list:
    """Our closed trades equal the peer's ``_trades`` (size and side, bars, prices, PnL
    within 1e-9 relative, ``atol`` absolute); returns them."""
    closed = [t for t in trades if not t.is_open]
    assert len(closed) == len(peer)
    assert [t.direction * t.size for t in closed] == peer["Size"].tolist()
    assert [t.entry_bar for t in closed] == peer["EntryBar"].tolist()
    assert [t.exit_bar for t in closed] == peer["ExitBar"].tolist()
    np.testing.assert_allclose([t.entry_price for t in closed], peer["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose([t.exit_price for t in closed], peer["ExitPrice"], rtol=1e-12)
    np.testing.assert_allclose([t.pnl for t in closed], peer["PnL"], rtol=1e-9, atol=atol)
    return closed


CASES = [
    (rule, direction, sl, tp)
    for rule in ("SMA_CROSS", "RSI")
    for direction in ("longonly", "longshort")
    for sl, tp in ((5.0, None), (None, 8.0), (4.0, 6.0))
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("rule", "direction", "sl", "tp"), CASES)
def test_stop_loss_and_take_profit_match_backtesting_py_on_every_bar_and_trade(
    goog, rule, direction, sl, tp
):
    """Equity on all 2,148 bars and every closed trade equal the peer's, with stops firing."""
    entries, exits = _signals(goog, rule)
    params = TradingParams(
        initial_capital=100_000,
        fee_rate=0.001,
        position_size=100,
        size_type="percent",
        direction=direction,
        stop_loss_pct=sl,
        take_profit_pct=tp,
    )
    ours = run(Bars.from_dataframe(goog), entries, exits, params)
    stats = _peer(goog, entries, exits, direction, sl, tp)
    closed = assert_same_as_peer(ours, stats)
    reasons = {t.exit_reason for t in closed}
    if sl:
        assert "stop_loss" in reasons
    if tp and ours.bust_bar is None:
        assert "take_profit" in reasons
    assert (direction == "longshort") == any(t.direction < 0 for t in closed)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_bankruptcy_liquidation_pays_the_exit_fee_as_backtesting_py_does():
    """The golden squeeze (an all-in short squeezed to zero equity): the liquidated trade's
    exit fee and PnL, and equity on every bar, equal the peer's (it charges its commission on
    the liquidation at that close)."""
    bars = squeeze_bars()
    entries, exits = squeeze_signals(len(bars))
    frame = pd.DataFrame(
        {
            "Open": bars.open,
            "High": bars.high,
            "Low": bars.low,
            "Close": bars.close,
            "Volume": bars.volume,
        },
        index=pd.DatetimeIndex(bars.timestamps),
    )
    params = TradingParams(
        initial_capital=100_000,
        fee_rate=0.001,
        position_size=100,
        size_type="percent",
        direction="longshort",
    )
    ours = run(bars, entries, exits, params)
    stats = _peer(frame, entries, exits, "longshort", None, None)
    np.testing.assert_allclose(ours.equity, stats["_equity_curve"]["Equity"], rtol=1e-9, atol=0)
    (trade,) = ours.trades
    (peer,) = stats["_trades"].itertuples()
    assert trade.exit_reason == "liquidation" and trade.exit_bar == peer.ExitBar
    assert trade.exit_fee == pytest.approx(trade.size * trade.exit_price * 0.001, rel=1e-12)
    assert trade.exit_fee > 0
    assert trade.pnl == pytest.approx(peer.PnL, rel=1e-12)
