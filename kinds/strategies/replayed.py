"""Many parameter sets of one strategy module run in ONE sandbox: a sweep chunk's
combinations pay one child's start between them, and each combination one pipe round trip
per page of its decisions, not one per bar.

The child holds one instance of the class per combination (``sandbox.runner.Harness``:
each from its own copy of the module, seeded with its own seed, its own ``random`` states)
and runs each combination whole against its own copy of the combination's book, logging
the decisions of every bar that has some (``engine.broker.decision_log``); this process
keeps the ``Book`` that counts for each combination and replays the log through it
(``decision_log.Replay``): every bar worked, each logged decision validated and booked on
its bar, exactly the calls ``engine.broker.book.drive`` makes for a run of its own. The
child's copy books what this process receives, so the states the strategy read are this
book's, and every combination's statistics, trades and equity are, byte for byte, those
``kinds.strategies.sandboxed.run_strategy`` gives for it alone — a run alone is a chunk
of one combination — and notebook mode's. Code that alters the child's copy changes only
the decisions it sends: this process's book checks and fills every one.

A combination whose code raises, or whose decision its book refuses, fails alone (its
``Outcome`` carries the same ``Failure`` its own run would); the others go on. So does one
that uses its own CPU budget (``Limits.combination_cpu_seconds``, counted in the child:
``sandbox.runner.Budget``): it FAILS naming the ``combination_cpu`` limit. What stops the
child (a limit of the chunk's sandbox, which has one run's ``Limits``; a broken protocol;
its death) fails every combination not finished by then with that failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adapters.strategy_stats import COLUMNS, Market, market, strategy_stats
from engine.broker.book import Book
from engine.broker.costs import Costs
from engine.broker.decision_log import Replay, book_payload
from engine.corporate import CorporateActions
from kinds.strategies.inputs import bars_payload, check_inputs, new_book, refused_failure
from sandbox import Failure, Limits, Outcome, Sandbox, SandboxFailed
from sandbox.outcome import FAILED, SUCCEEDED

Summary = Callable[[pd.DataFrame, Book, str, Market], Any]
"""What ``run_strategies`` keeps of a finished book: called with the bars, the book, the
strategy's class name and the bars' shared ``Market``."""


def run_strategies(
    code: str,
    class_name: str,
    params_list: Sequence[Mapping[str, Any]],
    bars: pd.DataFrame,
    costs: Costs,
    *,
    seeds: Sequence[int],
    finalize_trades: bool = False,
    limits: Limits | None = None,
    without: Iterable[str] = (),
    refs: Mapping[str, pd.DataFrame] | None = None,
    actions: CorporateActions | None = None,
    borrow: float = 0.0,
    adjusted: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None,
    budgeted: bool = True,
    summarize: Summary = strategy_stats,
    **settings: Any,
) -> list[Outcome]:
    """``run_strategy`` of every ``params_list[i]`` with ``seeds[i]``, in one sandbox: one
    ``Outcome`` per parameter set, in order (see the module's docstring); ``refs``,
    ``actions``, ``borrow`` and ``adjusted`` as ``run_strategy`` takes them (the other
    tickers' bars cross once, for every combination). ``budgeted``: each combination has
    its own CPU budget (``Limits.combination_cpu_seconds``); a run alone has none.
    ``summarize``: what a SUCCEEDED ``Outcome`` holds of its book (``strategy_stats``: the
    statistics with their frames, as a run alone stores them; a sweep's points keep
    ``adapters.strategy_stats.strategy_figures``).

    :raise ValueError: bars, params, seeds or settings the caller should have refused.
    """
    if len(seeds) != len(params_list) or not params_list:
        raise ValueError(f"seeds: one per parameter set ({len(params_list)}), at least one")
    check_inputs(bars, params_list, settings)
    books = [new_book(bars, costs, settings, actions=actions, borrow=borrow) for _ in params_list]
    combos = [
        {"params": dict(params), "seed": int(seed)}
        for params, seed in zip(params_list, seeds, strict=True)
    ]
    shown = bars if adjusted is None else adjusted[0]
    sandbox = Sandbox(code, limits, seed=int(seeds[0]), without=without, host=True)
    payload = {
        "cpu_budget": sandbox.limits.combination_cpu_seconds if budgeted else None,
        "class": class_name,
        "bars": bars_payload(shown),
        "refs": {ticker: bars_payload(frame) for ticker, frame in (refs or {}).items()},
        "combos": combos,
        "book": book_payload(costs, settings, borrow, actions, _prices(bars, adjusted)),
        "adjusted": None
        if adjusted is None
        else {"price": adjusted[1].tolist(), "shares": adjusted[2].tolist()},
    }
    failures: dict[int, Failure] = {}
    running: dict[int, int] = {at: 0 for at in range(len(books))}  # not started: all
    try:
        sandbox.start()
        starts = _answers(sandbox.call("init_many", payload), len(books))
        running.clear()
        for at, answer in enumerate(starts):
            if isinstance(answer, dict):
                failures[at] = sandbox.reported_failure(answer)
            elif type(answer) is int and answer >= 1:
                running[at] = answer
            else:
                sandbox.reported_failure(None)  # not a bar: the child is stopped
        with np.errstate(invalid="ignore"):
            _replay_all(sandbox, books, running, failures, bars.index, finalize_trades, adjusted)
    except SandboxFailed as exc:
        for at in running:
            failures[at] = exc.failure
    except BaseException:
        sandbox.close()
        raise
    output = sandbox.output()
    sandbox.close()
    shared = market(bars, costs.initial_capital)
    return [
        Outcome(FAILED, failure=failures[at], output=output)
        if at in failures
        else Outcome(SUCCEEDED, value=summarize(bars, book, class_name, shared), output=output)
        for at, book in enumerate(books)
    ]


def _replay_all(
    sandbox: Sandbox,
    books: list[Book],
    running: dict[int, int],
    failures: dict[int, Failure],
    index: pd.Index,
    finalize: bool,
    adjusted: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None,
) -> None:
    """Every running combination (``running``: combination → first bar), one after the
    other: its pages of decisions asked of the child (``drive``) and replayed through its
    book as ``engine.broker.book.drive`` runs one. A combination whose code raised, or
    whose decision (or step) its book refused, fails alone; a book that goes broke stops
    without finishing; the others finish (``finalize``) after the last bar."""
    for at, first in list(running.items()):
        book = books[at]
        if first >= len(index):  # no bar to decide on: an empty run
            del running[at]
            continue
        replay = Replay(book, first, None if adjusted is None else adjusted[1:])
        try:
            while True:
                page = sandbox.call("drive", at)
                if isinstance(page, dict) and page.get("type") == "raise":
                    failures[at] = sandbox.reported_failure(page)
                    break
                if replay.page(*_checked_page(page, replay.bar, len(index))):
                    break
        except (ValueError, TypeError, ArithmeticError) as exc:  # the book refused them
            failures[at] = refused_failure(book, index, exc)
        del running[at]
        if at not in failures and finalize and not book.broke:
            book.finish()


def _checked_page(page: Any, after: int, n_bars: int) -> tuple[list, int, bool]:
    """A ``drive`` answer's ``log``, ``through`` and ``done``: each bar of the log from
    ``after`` on, increasing, up to ``through``, a bar of the run.

    :raise SandboxFailed: it is malformed (the child broke the protocol)."""
    broken = SandboxFailed(
        Failure("protocol", "the strategy's process answered a page of decisions wrongly")
    )
    if not (isinstance(page, dict) and set(page) == {"log", "through", "done"}):
        raise broken
    log, through, done = page["log"], page["through"], page["done"]
    if type(through) is not int or type(done) is not bool or not isinstance(log, list):
        raise broken
    if not after - 1 <= through < n_bars:
        raise broken
    last = after - 1
    for entry in log:
        if not (isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int):
            raise broken
        if not last < entry[0] <= through:
            raise broken
        last = entry[0]
    return log, through, done


def _prices(bars: pd.DataFrame, adjusted: object) -> dict[str, list] | None:
    """The book's prices for the child's copy when the strategy reads other bars
    (``adjusted``): Open, High, Low and Close as lists, None for a missing value."""
    if adjusted is None:
        return None
    columns = bars_payload(bars[list(COLUMNS)])["columns"]  # a missing value as null
    return {name: column["values"] for name, column in columns.items()}


def _answers(value: Any, count: int) -> list[Any]:
    """A many-call's answer: a list of ``count``.

    :raise SandboxFailed: it is not (the child broke the protocol)."""
    if not isinstance(value, list) or len(value) != count:
        raise SandboxFailed(
            Failure("protocol", f"the strategy's process answered {count} combinations wrongly")
        )
    return value
