"""A fixed fee per order and closing open trades at the end match backtesting.py 0.6.6's
``Backtest(..., commission=(fixed, relative), finalize_trades=True)`` bar by bar.

The peer acts on our signals as in test_engine_stops_parity.py (orders placed on bar t's
close fill at bar t+1's open; a signal's exit cancels the trade's SL/TP; SL/TP are set from
the entry fill price; a signal on the last bar never fills). Two settings differ from
test_engine_parity.py, for the reasons docs/execution.md gives:

* sizing: backtesting.py's relative size (its default ``size`` 1 − ε) divides the fixed
  commission by that fraction, not by the shares, so the peer is handed the whole share
  count of our rule, written out here: n = floor((B − F) / (p × (1 + r))), one less when
  n × p + F + n × p × r > B, with B the cash after the closing order at that open;
* ``finalize_trades=True`` closes the trade left open at the last bar's open (its broker is
  run once more on the last bar, where a market order fills at the open), which
  ``close_at_end`` does: the last bar's equity is the cash after that close.

Equity is compared on every bar (1e-9 relative) and every trade (bars, size, prices, PnL),
on GOOG.csv and on 100 random series.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from backtesting import Strategy

from engine import Bars, TradingParams, run
from tests.engine.test_engine_stops_parity import _peer as stops_peer
from tests.engine.test_engine_stops_parity import _signals as goog_signals
from tests.engine.test_engine_stops_parity import assert_same_as_peer

CASH = 100_000.0
"""The peer's cash (test_engine_stops_parity.py's)."""


def _whole_shares(budget: float, price: float, fixed: float, rate: float) -> int:
    """The most whole shares whose cost and fee fit ``budget`` (docs/execution.md)."""
    n = math.floor((budget - fixed) / (price * (1.0 + rate)))
    if n * price + fixed + n * price * rate > budget:
        n -= 1
    return max(n, 0)


def _peer(df: pd.DataFrame, entries, exits, direction: str, fixed, rate, sl_pct, tp_pct):
    """backtesting.py acting on the signals (test_engine_stops_parity.py's peer) with
    ``commission=(fixed, rate)`` and ``finalize_trades=True``, handed our share count."""

    def shares(strategy: Strategy, entry: float) -> int:
        cash = strategy._broker._cash  # the cash after the trades are closed at ``entry``
        for trade in strategy.trades:
            cash += trade.size * (entry - trade.entry_price)
            cash -= fixed + abs(trade.size) * entry * rate
        return _whole_shares(cash, entry, fixed, rate)

    return stops_peer(
        df,
        entries,
        exits,
        direction,
        sl_pct,
        tp_pct,
        commission=(fixed, rate),
        finalize_trades=True,
        shares=shares,
    )


def _assert_same(df: pd.DataFrame, entries, exits, direction, fixed, rate, sl, tp) -> list:
    params = TradingParams(
        initial_capital=CASH,
        fee_rate=rate,
        fee_fixed=fixed,
        position_size=100,
        size_type="percent",
        direction=direction,
        stop_loss_pct=sl,
        take_profit_pct=tp,
        close_at_end=True,
    )
    ours = run(Bars.from_dataframe(df), entries, exits, params)
    stats = _peer(df, entries, exits, direction, fixed, rate, sl, tp)
    trades = assert_same_as_peer(ours, stats, atol=1e-9)  # a break-even PnL is ~0
    assert len(trades) == len(ours.trades)  # none is left open
    left_open = run(Bars.from_dataframe(df), entries, exits, replace(params, close_at_end=None))
    if left_open.trades and left_open.trades[-1].is_open:
        assert trades[-1].exit_reason == "closed_at_end"
        assert trades[-1].exit_bar == len(df) - 1
        assert trades[-1].exit_price == df.Open.iloc[-1]
    return trades


GOOG_CASES = [
    (rule, direction, fixed, rate, sl, tp)
    for rule in ("SMA_CROSS", "RSI")
    for direction in ("longonly", "longshort")
    for fixed, rate in ((5.0, 0.001), (25.0, 0.0))
    for sl, tp in ((None, None), (4.0, 6.0))
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("rule", "direction", "fixed", "rate", "sl", "tp"), GOOG_CASES)
def test_a_fixed_fee_and_the_close_at_the_end_match_backtesting_py_on_goog(
    goog, rule, direction, fixed, rate, sl, tp
):
    """All 2,148 bars and every trade, the one closed at the end included, equal the peer's."""
    entries, exits = goog_signals(goog, rule)
    trades = _assert_same(goog, entries, exits, direction, fixed, rate, sl, tp)
    assert all(t.entry_fee >= fixed and t.exit_fee >= fixed for t in trades)


def _random_frame(rng: np.random.Generator, n_bars: int) -> pd.DataFrame:
    """A random walk with gaps: open near the previous close, high/low around both."""
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n_bars)))
    open_ = np.r_[50.0, close[:-1]] * np.exp(rng.normal(0.0, 0.01, n_bars))
    top = np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 0.02, n_bars))
    bottom = np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 0.02, n_bars))
    index = pd.bdate_range("2015-01-01", periods=n_bars)
    return pd.DataFrame(
        {"Open": open_, "High": top, "Low": bottom, "Close": close, "Volume": 1_000.0},
        index=index,
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(100))
def test_a_fixed_fee_and_the_close_at_the_end_match_backtesting_py_on_random_series(seed):
    """Random bars, signals, fees, direction and stops: equity and trades equal the peer's."""
    rng = np.random.default_rng(seed)
    frame = _random_frame(rng, int(rng.integers(60, 250)))
    n_bars = len(frame)
    entries = rng.random(n_bars) < 0.08
    exits = rng.random(n_bars) < 0.08
    entries[0] = exits[0] = False  # the peer's first next() is on bar 1
    entries[-3] = True  # a position is open at the end more often than not
    exits[-3] = False
    direction = ("longonly", "longshort")[seed % 2]
    fixed = float(rng.choice([0.0, 1.0, 9.99, 50.0]))
    rate = float(rng.choice([0.0, 0.0005, 0.002]))
    sl = float(rng.uniform(2, 10)) if seed % 3 == 1 else None
    tp = float(rng.uniform(2, 15)) if seed % 4 == 2 else None
    _assert_same(frame, entries, exits, direction, fixed, rate, sl, tp)
