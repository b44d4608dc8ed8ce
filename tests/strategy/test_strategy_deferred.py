"""A book worked only as far as its strategy reads it (``engine.broker.deferred.Deferred``)
is the book stepped bar by bar: for random strategies (reading the state on some bars,
deciding on some of those from what they read: market, limit and stop orders with SL/TP,
closes of part of a trade held, cancels of an order pending; with margin, hedging, a borrow
fee, corporate actions, and books that go broke), ``drive`` calls the strategy on the same
bars, shows it the same equity, trades and orders wherever it reads them, and leaves the
same book, bit for bit, as the loop that works and shows every bar (the loop before
``Deferred``, kept here); so does the sandbox child's loop (``driven``), whose log the
consumer's ``Replay`` books to the same book."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.broker.book import Book, drive
from engine.broker.decision_log import Replay, driven
from engine.corporate import CorporateActions
from tests.strategy.test_strategy_book_replay import _book, _same, random_inputs, random_order


class _Given:
    def __init__(self, state: dict) -> None:
        self.given = state

    def state(self, bar: int) -> dict:
        return self.given


def _every_bar(book: Book, start: int, decide, finalize: bool) -> None:
    """``drive`` before ``Deferred``: every bar worked and its state made."""
    for bar in range(start, len(book.close)):
        state = book.step(bar)
        if book.broke:
            return
        book.apply(decide(bar, _Given(state)))
    if finalize and start < len(book.close):
        book.finish()


def _strategy(seed: int, every: int, close: np.ndarray):
    """A strategy of random decisions, the same for the same states: on about one bar in
    ``every`` it reads the state and decides from it, on one in ten more it reads the state
    only, on the others it reads nothing. Also the bars it ran on and what it read."""
    called: list[int] = []
    seen: list[tuple] = []

    def decide(bar: int, states) -> list[dict]:
        called.append(bar)
        rng = np.random.default_rng([seed, bar])
        u = rng.random()
        if u >= 1 / every + 0.1:
            return []
        state = states.state(bar)
        seen.append((bar, state["equity"], repr(state["trades"]), repr(state["orders"])))
        if u >= 1 / every:
            return []
        return [_decision(rng, state, float(close[bar]), bar + 1)]

    return decide, called, seen


def _decision(rng: np.random.Generator, state: dict, close: float, ident: int) -> dict:
    kind = int(rng.integers(0, 6))
    if kind == 0 and state["trades"]:
        trade = state["trades"][int(rng.integers(0, len(state["trades"])))]
        return {"op": "close", "trade": trade["id"], "portion": 0.5}
    placed = [order["id"] for order in state["orders"] if order["id"] > 0]
    if kind == 1 and placed:
        return {"op": "cancel", "order": placed[int(rng.integers(0, len(placed)))]}
    return random_order(rng, kind, close, ident)


CASES = dict(
    seed=st.integers(0, 10_000),
    n=st.integers(30, 300),
    every=st.sampled_from([2, 8, 40]),
    setting=st.sampled_from(
        [{}, {"hedging": True}, {"margin": 0.05}, {"exclusive_orders": True}, {"margin": 0.02}]
    ),
    borrow=st.sampled_from([0.0, 0.001]),
    acting=st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(**CASES, finalize=st.booleans())
def test_drive_reads_and_books_what_working_every_bar_gives(
    seed, n, every, setting, borrow, acting, finalize
):
    prices, actions, start = random_inputs(seed, n, acting)
    runs = []
    for loop in (_every_bar, drive):
        book = _book(prices, setting, borrow, actions)
        decide, called, seen = _strategy(seed, every, prices[3])
        loop(book, start, decide, finalize)
        runs.append((book, called, seen))
    (stepped, called, seen), (deferred, called_deferred, seen_deferred) = runs
    assert called_deferred == called
    assert seen_deferred == seen
    _same(stepped, deferred)


@settings(max_examples=60, deadline=None)
@given(**CASES)
def test_the_childs_loop_logs_what_replays_to_the_book_worked_every_bar(
    seed, n, every, setting, borrow, acting
):
    prices, actions, start = random_inputs(seed, n, acting)
    stepped = _book(prices, setting, borrow, actions)
    decide, called, seen = _strategy(seed, every, prices[3])
    _every_bar(stepped, start, decide, False)

    child = _book(prices, setting, borrow, actions)
    decide, called_child, seen_child = _strategy(seed, every, prices[3])
    pages = list(driven(decide, child, start, None, lambda value: (value, 0)))
    assert (called_child, seen_child) == (called, seen)

    replayed = _book(prices, setting, borrow, actions)
    replay = Replay(replayed, start, None)
    for page in pages:
        if replay.page(page["log"], page["through"], page["done"]):
            break
    _same(stepped, replayed)


BUSTS = {
    # all in long at 20x margin, prices falling by half
    "prices": (np.linspace(100, 50, 60), 0.95, 0.0, None),
    # short at 20x on flat prices, paying a borrow fee of 1 % of the notional a bar
    "borrow": (np.full(60, 100.0), -0.95, 0.01, None),
    # short at 20x on flat prices, paying a dividend of a tenth of the price on bar 30
    "dividend": (np.full(60, 100.0), -0.95, 0.0, 30),
}


@pytest.mark.parametrize("cause", BUSTS)
def test_a_strategy_that_reads_nothing_is_not_called_on_the_bar_its_book_goes_broke(cause):
    """Entered on bar 2, then reading nothing: the bars after are not worked one by one,
    yet the run stops on the bar the equity reaches 0, as working every bar does."""
    close, size, borrow, dividend_bar = BUSTS[cause]
    n = len(close)
    prices = (close, close * 1.001, close * 0.999, close)
    actions = None
    if dividend_bar is not None:
        dividend = np.zeros(n)
        dividend[dividend_bar] = 10.0
        actions = CorporateActions(np.ones(n), dividend, None)
    runs = []
    for loop in (_every_bar, drive):
        called: list[int] = []

        def decide(bar: int, states, called=called) -> list[dict]:
            called.append(bar)
            return [{"op": "order", "id": 1, "size": size}] if bar == 2 else []

        book = _book(prices, {"margin": 0.05}, borrow, actions)
        loop(book, 1, decide, False)
        runs.append((book, called))
    (stepped, called), (deferred, called_deferred) = runs
    assert stepped.broke and 3 < stepped.bar < n - 1
    assert called_deferred == called == list(range(1, stepped.bar))
    _same(stepped, deferred)


def keeper(base):
    """A strategy that keeps its last trade and reads it, its equity and its closed trades
    on a few bars only, changes its stop-loss and closes part of it now and then."""

    class Keeper(base):
        def init(self):
            self.kept = None
            self.log = []

        def next(self):
            bar = len(self.data) - 1
            close = self.data.Close[-1]
            if bar % 9 == 0:
                self.buy(size=0.3, sl=close * 0.93, tp=close * 1.1)
            if bar % 9 == 1 and self.trades:
                self.kept = self.trades[-1]
            kept = self.kept
            if kept is not None and bar % 5 == 0:
                self.log.append((bar, kept.pl, kept.exit_price, kept.sl, kept.size, kept.value))
            if bar % 13 == 0:
                self.log.append((bar, self.equity, len(self.closed_trades), self.position.size))
            if kept is not None and bar % 17 == 0 and kept.exit_bar is None:
                kept.sl = close * 0.9
            if bar % 23 == 0 and self.position:
                self.position.close(0.5)

    return Keeper


@pytest.mark.parametrize("seed", range(4))
def test_a_strategy_reading_now_and_then_sees_what_it_sees_reading_every_bar(seed):
    """The notebook's run (``Host.on_bar``: the state read when first read) against the
    same run with the whole state passed through JSON every bar (``wire``): the same
    statistics, trades and equity, the same reads of a trade kept from an earlier bar, and
    after the run the same closed trades and equity."""
    from backtest_strategy import Backtest, Strategy
    from tests.strategy.peer import random_frame

    df = random_frame(seed, 400)
    runs = [
        Backtest(df, keeper(Strategy), cash=10_000, commission=0.002, wire=wire).run()
        for wire in (True, False)
    ]
    whole, read = runs
    assert read["_equity_curve"]["Equity"].tolist() == whole["_equity_curve"]["Equity"].tolist()
    pd.testing.assert_frame_equal(read["_trades"], whole["_trades"], check_exact=True)
    assert len(read._strategy.log) > 50
    assert read._strategy.log == whole._strategy.log
    assert read._strategy.equity == whole._strategy.equity
    assert len(read._strategy.closed_trades) == len(whole._strategy.closed_trades)
