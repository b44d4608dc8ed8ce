"""The broker's book of a Python strategy (``engine.broker.book``) on hand-computed bars, and
the decisions it refuses: each malformed decision raises ``ValueError`` naming its field
(the sandbox's output is untrusted: the consumer validates it through the same ``apply``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import backtest_strategy
from engine.broker.book import Book, book_costs, drive, reading

OPEN = np.array([100.0, 100.0, 100.0, 120.0])
HIGH = np.array([101.0, 105.0, 112.0, 125.0])
LOW = np.array([99.0, 95.0, 98.0, 118.0])
CLOSE = np.array([100.0, 102.0, 110.0, 121.0])


def book(**costs) -> Book:
    return Book(OPEN, HIGH, LOW, CLOSE, costs=book_costs(10_000.0, **costs))


def test_market_entry_take_profit_acts_on_its_fill_bar():
    """10 units bought at bar 2's open (100, fee 1 %: 10), its take-profit at 111 reached in
    that bar (high 112) fills at 111 (fee 11.1): cash 10 000 - 10 + 110 - 11.1."""
    b = book(fee_rate=0.01)
    b.step(1)
    b.apply([{"op": "order", "id": 1, "size": 10, "tp": 111.0}])
    state = b.step(2)
    assert state["trades"] == [] and len(state["closed"]) == 1
    assert b.cash == pytest.approx(10_088.9, abs=1e-9)
    assert b.equity[2] == b.cash
    columns = b.trade_columns()
    assert columns["pnl"].tolist() == pytest.approx([88.9])
    assert columns["commissions"].tolist() == pytest.approx([21.1])
    assert columns["tp"].tolist() == [111.0] and math.isnan(columns["sl"][0])


def test_spread_is_paid_on_entry_only():
    """backtesting.py's spread (the book's entry slippage): a buy fills at open × (1 +
    spread), its close at the plain open of the bar — unlike a platform run's
    ``slippage_bps``, which slips both fills (docs/strategies.md)."""
    b = book(spread=0.01)
    b.step(1)
    b.apply([{"op": "order", "id": 1, "size": 10}])
    b.step(2)
    assert b.trades[0].entry_price == 101.0
    b.apply([{"op": "close", "trade": b.trades[0].id, "portion": 1.0}])
    b.step(3)
    assert b.closed[0].exit_price == 120.0
    assert b.cash == 10_000.0 + 10 * (120.0 - 101.0)


def test_statistics_are_the_platforms():
    """One unit bought at bar 2's open (10) and held: equity 100, 100, 110, 120, 105. Its
    Sharpe ratio is the platform's (mean / sample std of the bar returns × √252, returns
    0, 0.1, 1/11, -0.125), not backtesting.py's geometric one; drawdown 12.5 %."""
    open_, close = [10.0, 10.0, 10.0, 30.0, 15.0], [10.0, 10.0, 20.0, 30.0, 15.0]
    df = pd.DataFrame(
        {"Open": open_, "High": np.maximum(open_, close), "Low": open_, "Close": close},
        index=pd.date_range("2024-01-01", periods=5, freq="D"),
    )

    class BuyOnce(backtest_strategy.Strategy):
        def next(self):
            if len(self.data) == 2:
                self.buy(size=1)

    stats = backtest_strategy.Backtest(df, BuyOnce, cash=100).run()
    assert stats["_equity_curve"]["Equity"].tolist() == [100, 100, 110, 120, 105]
    returns = np.array([0.0, 0.1, 1 / 11, -0.125])
    assert stats["Sharpe Ratio"] == pytest.approx(
        returns.mean() / returns.std(ddof=1) * math.sqrt(252), rel=1e-12
    )
    assert stats["Max. Drawdown [%]"] == pytest.approx(-12.5)
    assert stats["Return [%]"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"op": "buy"}, "decisions[0].op"),
        ("order", "decisions[0].op"),
        ({"op": "order", "id": 0, "size": 1}, "decisions[0].id"),
        ({"op": "order", "id": "x", "size": 1}, "decisions[0].id"),
        ({"op": "order", "id": 1, "size": 1.5}, "decisions[0].size"),
        ({"op": "order", "id": 1, "size": 0}, "decisions[0].size"),
        ({"op": "order", "id": 1, "size": "1"}, "decisions[0].size"),
        ({"op": "order", "id": 1, "size": 1, "limit": math.nan}, "decisions[0].limit"),
        ({"op": "order", "id": 1, "size": 1, "stop": math.inf}, "decisions[0].stop"),
        ({"op": "order", "id": 1, "size": 1, "sl": 200.0}, "sl/tp"),
        ({"op": "order", "id": 1, "size": -1, "tp": 200.0}, "sl/tp"),
        ({"op": "cancel", "order": 7}, "decisions[0].order"),
        ({"op": "close", "trade": 7, "portion": 1}, "decisions[0].trade"),
        ({"op": "sl", "trade": 7, "price": 1}, "decisions[0].trade"),
    ],
)
def test_malformed_decisions_are_refused_naming_the_field(decision, field):
    b = book()
    b.step(1)
    with pytest.raises(ValueError, match=r"^" + field.replace("[", r"\[").replace("]", r"\]")):
        b.apply([decision])


def test_an_order_id_cannot_be_reused():
    b = book()
    b.step(1)
    b.apply([{"op": "order", "id": 1, "size": 1, "limit": 50.0}])
    with pytest.raises(ValueError, match=r"decisions\[0\]\.id"):
        b.apply([{"op": "order", "id": 1, "size": 1}])


def test_close_portion_out_of_range_is_refused():
    b = book()
    b.step(1)
    b.apply([{"op": "order", "id": 1, "size": 4}])
    b.step(2)
    with pytest.raises(ValueError, match=r"decisions\[0\]\.portion"):
        b.apply([{"op": "close", "trade": b.trades[0].id, "portion": 1.5}])


def test_drive_stops_at_the_last_bar_and_finalizes():
    """``finalize``: the trade still open at the end is closed at the last bar's open."""
    b = book()
    placed = []

    def decide(state):
        if not placed:
            placed.append(state["bar"])
            return [{"op": "order", "id": 1, "size": 5}]
        return []

    drive(b, 1, reading(decide), finalize=True)
    assert [(t.entry_bar, t.exit_bar, t.exit_price) for t in b.closed] == [(2, 3, 120.0)]


def test_orders_show_the_brokers_answer_from_the_next_bar():
    """The documented difference (docs/strategies.md, "The API"): within one ``next`` the
    strategy sees the orders it placed at once, but the broker's answer to a decision (here
    the close order of ``position.close()``) only from the next bar; backtesting.py shows
    it at once. The run itself is the same."""
    close = [10.0, 10.0, 11.0, 12.0, 13.0]
    df = pd.DataFrame(
        {"Open": close, "High": close, "Low": close, "Close": close},
        index=pd.date_range("2024-01-01", periods=5, freq="D"),
    )
    seen = []

    class CloseAndLook(backtest_strategy.Strategy):
        def next(self):
            if len(self.data) == 2:
                self.buy(size=1)
                seen.append(("after buy", len(self.orders)))
            elif len(self.data) == 3:
                self.position.close()
                seen.append(("after close", len(self.orders)))
            elif len(self.data) == 4:
                seen.append(("next bar", len(self.closed_trades), len(self.orders)))

    backtest_strategy.Backtest(df, CloseAndLook, cash=100).run()
    assert seen == [("after buy", 1), ("after close", 0), ("next bar", 1, 0)]


def test_a_state_shows_the_same_lists_while_nothing_changed_them():
    """The open trades and pending orders of a state are the very lists of the last state
    while no order was worked and no decision booked (a reader may skip reading them), and
    new ones as soon as anything may have changed them: a fill, a decision, a borrow fee."""
    closes = np.linspace(100.0, 110.0, 12)
    b = Book(closes, closes + 1, closes - 1, closes, costs=book_costs(10_000.0), borrow=0.001)
    b.step(1)
    b.apply([{"op": "order", "id": 1, "size": 10}])
    filled = b.step(2)  # the order filled at this open
    assert [t["size"] for t in filled["trades"]] == [10] and filled["orders"] == []
    quiet = b.step(3)
    assert quiet["trades"] is filled["trades"] and quiet["orders"] is filled["orders"]
    b.apply([{"op": "sl", "trade": 1, "price": 90.0}])
    moved = b.step(4)
    assert moved["trades"] is not quiet["trades"] and moved["trades"][0]["sl"] == 90.0
    b.apply([{"op": "close", "trade": 1, "portion": 1.0}, {"op": "order", "id": 2, "size": -10}])
    b.step(5)
    short = b.step(6)  # short from bar 6's open: each close pays the borrow fee
    later = b.step(7)
    assert later["trades"] is not short["trades"]
    assert later["trades"][0]["carried"] < short["trades"][0]["carried"] < 0
