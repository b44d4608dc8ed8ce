"""A replayed book (``engine.broker.decision_log.Replay``) works the bars between two
decisions with ``Book.advance_to``, which writes a run of bars where nothing can act at
once: for random decision logs (market, limit and stop orders with SL/TP, closes of part of
a trade, cancels; with margin, hedging, a borrow fee, corporate actions, and books that go
broke), the equity and position on every bar, the cash and every trade equal, bit for bit,
the book stepped bar by bar as ``engine.broker.book.drive`` steps it."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.broker.book import Book, book_costs
from engine.broker.decision_log import Replay
from engine.corporate import CorporateActions


def _bars(seed: int, n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    open_ = np.concatenate([[close[0]], close[:-1]]) * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n))
    return open_, high, low, close


def _decision(rng: np.random.Generator, bar: int, close: float, ident: int) -> dict:
    kind = rng.integers(0, 6)
    if kind == 0:
        return {"op": "close", "trade": int(rng.integers(1, ident + 1)), "portion": 0.5}
    if kind == 1:
        return {"op": "cancel", "order": int(rng.integers(1, ident + 1))}
    return random_order(rng, int(kind), close, ident)


def random_order(rng: np.random.Generator, kind: int, close: float, ident: int) -> dict:
    """A random order of id ``ident`` around ``close``: market, limit (``kind`` 2) or stop
    (3), of a fraction of equity or whole units either side, with SL/TP half the time."""
    side = 1 if rng.random() < 0.6 else -1
    size = float(rng.choice([0.3, 0.9, 5.0, 40.0])) * side
    order = {"op": "order", "id": ident, "size": size}
    if kind == 2:
        order["limit"] = close * (1 - 0.01 * side)
    if kind == 3:
        order["stop"] = close * (1 + 0.01 * side)
    if rng.random() < 0.5:
        order["sl"] = close * (1 - 0.05 * side)
        order["tp"] = close * (1 + 0.08 * side)
    return order


def _log(seed: int, n: int, close: np.ndarray, start: int, every: int) -> list:
    rng = np.random.default_rng(seed + 1)
    log, ident = [], 1
    for bar in range(start, n):
        if rng.random() < 1 / every:
            decisions = []
            for _ in range(int(rng.integers(1, 3))):
                decisions.append(_decision(rng, bar, float(close[bar]), ident))
                ident += 1
            log.append([bar, decisions])
    return log


def random_inputs(seed: int, n: int, acting: bool) -> tuple[tuple, CorporateActions | None, int]:
    """``n`` random bars of ``seed``, with a 2:1 split and a dividend when ``acting``, and
    the first bar a strategy decides on."""
    prices = _bars(seed, n)
    actions = None
    if acting:
        split, dividend = np.ones(n), np.zeros(n)
        split[n // 2], dividend[n // 3] = 2.0, 0.5
        actions = CorporateActions(split, dividend, None)
    return prices, actions, 1 + seed % 5


def _book(prices, setting: dict, borrow: float, actions) -> Book:
    return Book(*prices, costs=book_costs(10_000, 0.001, 0.002), actions=actions, borrow=borrow,
                **setting)  # fmt: skip


def _stepped(book: Book, start: int, log: list) -> None:
    """The book as ``drive`` steps it: every bar, the decisions of its bar or none."""
    at = dict((bar, decisions) for bar, decisions in log)
    for bar in range(start, len(book.close)):
        book.step(bar)
        if book.broke:
            return
        with contextlib.suppress(ValueError):  # a close or cancel of an id not held: refused,
            book.apply(at.get(bar, []))  # the run goes on


def _replayed(book: Book, start: int, log: list) -> None:
    replay = Replay(book, start, None)
    for bar, decisions in log:  # one entry a page: pages split anywhere give the same
        with contextlib.suppress(ValueError):
            if replay.page([[bar, decisions]], bar, False):
                return
    replay.page([], len(book.close) - 1, True)


def _same(a: Book, b: Book) -> None:
    assert np.isfinite(a.equity).sum() > 10
    assert a.equity.tobytes() == b.equity.tobytes()
    assert a.position.tobytes() == b.position.tobytes()
    assert (a.cash, a.broke, a.bar) == (b.cash, b.broke, b.bar)
    for mine, theirs in ((a.trades, b.trades), (a.closed, b.closed)):
        assert [vars(t) for t in mine].__repr__() == [vars(t) for t in theirs].__repr__()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(30, 400),
    every=st.sampled_from([2, 8, 40]),
    setting=st.sampled_from([{}, {"hedging": True}, {"margin": 0.05}, {"exclusive_orders": True}]),
    borrow=st.sampled_from([0.0, 0.001]),
    acting=st.booleans(),
)
def test_a_replayed_book_is_the_book_stepped_bar_by_bar(seed, n, every, setting, borrow, acting):
    prices, actions, start = random_inputs(seed, n, acting)
    log = _log(seed, n, prices[3], start, every)
    stepped = _book(prices, setting, borrow, actions)
    _stepped(stepped, start, log)
    replayed = _book(prices, setting, borrow, actions)
    _replayed(replayed, start, log)
    _same(stepped, replayed)


def test_a_book_that_goes_broke_between_two_decisions_stops_on_that_bar():
    """20x margin, all in, prices falling by half: the replay's run of idle bars stops on
    the bar its equity reaches 0, as the bar-by-bar book does."""
    n = 60
    close = np.linspace(100, 50, n)
    prices = (close, close * 1.001, close * 0.999, close)
    log = [[2, [{"op": "order", "id": 1, "size": 0.95}]]]
    stepped = _book(prices, {"margin": 0.05}, 0.0, None)
    _stepped(stepped, 1, log)
    replayed = _book(prices, {"margin": 0.05}, 0.0, None)
    _replayed(replayed, 1, log)
    assert stepped.broke and 3 < stepped.bar < n - 1
    _same(stepped, replayed)
