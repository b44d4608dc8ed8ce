"""engine.result.Trades: a run's trades as columns, read as the tuple of Trade it equals."""

from __future__ import annotations

import numpy as np

from engine import Trade, Trades, TradingParams, run
from tests.bars import daily_bars


def _run(direction: str = "longonly", fee_rate: float = 0.0):
    bars = daily_bars([10, 10, 12, 12, 9, 9, 11, 11], spread=0.5)
    entries = np.array([1, 0, 0, 0, 0, 1, 0, 0], dtype=bool)
    exits = np.array([0, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    params = TradingParams(direction=direction, fee_rate=fee_rate, position_size=1000)
    return run(bars, entries, exits, params)


def test_trades_equal_the_tuple_of_their_trade_objects():
    """Indexing, iterating, unpacking and == behave as the tuple the engine returned before."""
    trades = _run().trades
    assert isinstance(trades, Trades) and len(trades) == 2
    as_tuple = tuple(trades)
    assert trades == as_tuple and as_tuple == trades and trades == list(as_tuple)
    assert hash(trades) == hash(as_tuple)
    first, last = trades
    assert isinstance(first, Trade) and (first.entry_bar, first.exit_bar) == (1, 3)
    assert (type(first.size), type(first.pnl), type(first.is_open)) == (int, float, bool)
    assert last.is_open and last.exit_reason == "end" and trades[-1] == last
    assert trades[:1] == (first,)
    assert Trades.of(as_tuple) == trades and Trades.of(trades) is trades


def test_no_trade_is_an_empty_sequence_equal_to_the_empty_tuple():
    bars = daily_bars([10, 11, 12])
    none = np.zeros(3, dtype=bool)
    trades = run(bars, none, none).trades
    assert trades == () and not trades and list(trades) == []


def test_a_reversal_closes_the_long_then_opens_the_short_on_the_same_fill():
    """Long-short: the exit signal on bar 2 fills on bar 3, closing the long and opening a
    short there; that short is reversed by the entry of bar 5 at bar 6."""
    trades = _run("longshort", fee_rate=0.001).trades
    assert [(t.entry_bar, t.exit_bar, t.direction) for t in trades] == [
        (1, 3, 1),
        (3, 6, -1),
        (6, 7, 1),
    ]
    assert [t.exit_reason for t in trades] == ["signal", "signal", "end"]
    pnl = [t.direction * t.size * (t.exit_price - t.entry_price) - t.entry_fee - t.exit_fee
           for t in trades]  # fmt: skip
    assert [t.pnl for t in trades] == pnl
