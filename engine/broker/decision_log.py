"""A Python strategy's run as a log of its decisions by bar: the sandbox's child runs the
strategy whole against its own copy of the book and logs the decisions (``driven``); the
consumer replays the log through the book that counts (``Replay``), which validates and
fills every decision and alone gives the statistics, trades and equity
(``kinds.strategies.replayed``).

The child's copy is the same ``engine.broker.book`` code on the same bars, costs, settings,
corporate actions and borrow fee (``book_payload``, rebuilt by ``book_from_payload``), and
it books the decisions as the consumer receives them (through the pipe's JSON first:
``wire``), so an unaltered child's states are the consumer's, bit for bit, and a chunk
costs one round trip per page of a combination's decisions (``PAGE_BYTES``), not one per
bar. Code that alters the child's copy changes only the decisions it sends.

Pure Python and numpy, no I/O: the child imports this module from the engine's folder
(``sandbox.runner.Harness``, the packages ``engine`` and ``engine.broker`` registered
without running their ``__init__``), so it imports only the book and what the book imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import numpy as np

from engine.broker.book import Book
from engine.broker.costs import Costs
from engine.broker.deferred import Deferred
from engine.broker.shown import ShownStates, traded_decisions
from engine.corporate import CorporateActions

PAGE_BYTES = 1 << 20
"""About the most JSON of decisions one page carries (one bar's decisions may exceed it)."""

MUTABLE = (list, dict)
"""A decision's tag of these types may be changed by the strategy after it is booked."""


def book_payload(
    costs: Costs,
    settings: dict,
    borrow: float,
    actions: CorporateActions | None,
    prices: dict[str, list] | None,
) -> dict:
    """What the child builds its copy of a book from (JSON): ``costs`` (each float as its
    hex text, exact and infinity included), the book's ``settings``, the ``borrow`` fee per
    bar, the corporate ``actions`` (or None) and ``prices`` (the book's Open, High, Low and
    Close as lists, None for a missing value; None: those of the bars the strategy reads)."""
    coded = [
        [f.name, "f", value.hex()] if isinstance(value, float) else [f.name, "v", value]
        for f in fields(costs)
        if f.init
        for value in [getattr(costs, f.name)]
    ]
    acts = None
    if actions is not None:
        acts = {
            "split": [v.hex() for v in actions.split.tolist()],
            "dividend": [v.hex() for v in actions.dividend.tolist()],
            "delisting": None if actions.delisting is None else float(actions.delisting).hex(),
        }
    return {
        "costs": coded,
        "settings": dict(settings),
        "borrow": float(borrow).hex(),
        "actions": acts,
        "prices": prices,
    }


def book_from_payload(payload: dict, frame: Any) -> Book:
    """A new book as ``book_payload`` describes it, over the prices of ``frame`` (the bars
    the strategy reads, a DataFrame) unless the payload gives the book's own."""
    costs = Costs(
        **{
            name: float.fromhex(value) if kind == "f" else value
            for name, kind, value in payload["costs"]
        }
    )
    acts = payload["actions"]
    actions = None
    if acts is not None:
        actions = CorporateActions(
            np.array([float.fromhex(v) for v in acts["split"]]),
            np.array([float.fromhex(v) for v in acts["dividend"]]),
            None if acts["delisting"] is None else float.fromhex(acts["delisting"]),
        )
    prices = payload["prices"]
    columns = [
        frame[name].to_numpy(dtype=np.float64)
        if prices is None
        else np.array([np.nan if v is None else v for v in prices[name]], dtype=np.float64)
        for name in ("Open", "High", "Low", "Close")
    ]
    return Book(
        *columns,
        costs=costs,
        actions=actions,
        borrow=float.fromhex(payload["borrow"]),
        **payload["settings"],
    )


def factors_from_payload(adjusted: dict | None) -> tuple[np.ndarray, np.ndarray] | None:
    """The price and share factors of adjusted bars sent as lists (None: the strategy
    reads the bars as traded)."""
    if adjusted is None:
        return None
    return np.array(adjusted["price"]), np.array(adjusted["shares"])


class _ChildStates:
    """What the strategy reads in the child: ``states``' (a ``Deferred``, or its states in
    adjusted units, ``engine.broker.shown.ShownStates``), through the pipe's JSON (``wire``)
    once a mutable tag was booked (``copied``: the book's records would hold the strategy's
    own objects)."""

    __slots__ = ("copied", "states", "wire")

    def __init__(self, states: Any, wire: Callable[[Any], tuple[Any, int]]) -> None:
        self.states, self.wire, self.copied = states, wire, False

    def state(self, bar: int) -> dict:
        state = self.states.state(bar)
        return self.wire(state)[0] if self.copied else state


def driven(
    decide: Callable[[int, Any], Any],
    book: Book,
    start: int,
    adjusted: tuple[np.ndarray, np.ndarray] | None,
    wire: Callable[[Any], tuple[Any, int]],
) -> Iterator[dict]:
    """Run the strategy answering ``decide(bar, states)`` (a ``backtest_strategy.host.Host``'s
    ``on_bar``, after its ``init``) from bar ``start`` against ``book`` as
    ``engine.broker.book.drive`` does (a bar worked when due, read or decided on:
    ``engine.broker.deferred.Deferred``), yielding pages: ``log`` (``[bar, decisions]`` for
    each bar whose decisions are not empty, in order), ``through`` (the last bar decided
    on) and ``done``. It stops where the parent's replay stops: the book broke, or refused
    the decisions (or a step) on a bar — that bar's decisions logged, for the parent's book
    to refuse with its own message. ``adjusted``: (price factors, share factors) when the
    strategy reads adjusted bars (``engine.broker.shown``). ``wire``: a value as the
    consumer reads it after the pipe, and the bytes it took there. The strategy's own
    exceptions (and ``wire``'s) propagate."""
    log: list = []
    size = 0
    deferred = Deferred(book, start)
    shown = deferred if adjusted is None else ShownStates(deferred, adjusted[0], adjusted[1])
    states = _ChildStates(shown, wire)
    bar = start - 1
    refused = (ValueError, TypeError, ArithmeticError)
    for bar in range(start, len(book.close)):
        if deferred.due(bar):
            try:
                deferred.through(bar)
            except refused:
                break
            if book.broke:
                break
        decisions = decide(bar, states)
        if type(decisions) is list and not decisions:  # most bars
            continue
        decisions, taken = wire(decisions)
        log.append([bar, decisions])
        size += taken
        if isinstance(decisions, list):
            states.copied = states.copied or any(
                isinstance(d, dict) and isinstance(d.get("tag"), MUTABLE) for d in decisions
            )
        try:
            deferred.through(bar)
            book_logged(book, bar, decisions, adjusted)
        except refused:
            break
        deferred.settle()
        if size >= PAGE_BYTES:
            yield {"log": log, "through": bar, "done": False}
            log, size = [], 0
    yield {"log": log, "through": bar, "done": True}


class Replay:
    """One combination's book moved on by pages of its decisions: every bar from its first
    is worked (``Book.advance``) and given the decisions logged for it (none on most).
    ``factors``: the price and share factors of the adjusted bars the strategy reads."""

    def __init__(
        self, book: Book, first: int, factors: tuple[np.ndarray, np.ndarray] | None
    ) -> None:
        self.book, self.bar, self.factors = book, first, factors

    def page(self, log: list, through: int, done: bool) -> bool:
        """Replay ``log`` and the bars through ``through`` (every bar left when ``done``);
        whether the run is over (its book broke, or it is done).

        :raise ValueError, TypeError, ArithmeticError: the book refused a decision or a step.
        """
        for bar, decisions in log:
            if self._work(bar) or self._worked(bar, decisions):
                return True
        if self._work((len(self.book.close) - 1 if done else through) + 1):
            return True
        return done

    def _work(self, end: int) -> bool:
        """Work the bars before ``end`` with no decisions (``Book.advance_to``); whether
        the book broke."""
        if end > self.bar:
            self.book.advance_to(self.bar, end)
            self.bar = end
        return self.book.broke

    def _worked(self, bar: int, decisions: object) -> bool:
        """Work ``bar`` and book its ``decisions``; whether the book broke."""
        book = self.book
        book.advance(bar)
        self.bar = bar + 1
        if book.broke:
            return True
        book_logged(book, bar, decisions, self.factors)
        return False


def book_logged(
    book: Book, bar: int, decisions: object, factors: tuple[np.ndarray, np.ndarray] | None
) -> None:
    """Book the ``decisions`` logged for ``bar`` (a list), given in the adjusted bars'
    prices and shares when ``factors`` (``engine.broker.shown.traded_decisions``): what the
    child's copy and the consumer's book both do with a bar's log.

    :raise ValueError, TypeError, ArithmeticError: the book refused them.
    """
    if not isinstance(decisions, list):
        raise ValueError(f"decisions: must be a list, is a {type(decisions).__name__}")
    if factors is not None:
        decisions = traded_decisions(decisions, bar, *factors)
    book.apply(decisions)
