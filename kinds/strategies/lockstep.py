"""Many parameter sets of one strategy module run in ONE sandbox, in lockstep: a sweep
chunk's combinations pay one child's start and one pipe round trip per bar between them,
not one each.

The child holds one instance of the class per combination (``sandbox.runner.Harness``:
each from its own copy of the module, seeded with its own seed, its own ``random`` states);
this process keeps one ``Book`` per combination. Each bar every book still running works
its orders (``Book.step``), their states go to the child in one message
(``next_many``), and each combination's decisions come back in one answer and are
validated by its own book; a state leaves out its ``trades`` or ``orders`` when every value of
them is the very object the combination's previous state sent (``unchanged``), and the child
reads them as that state's (``sandbox.runner.Harness``). Each book sees exactly the calls
``engine.broker.book.drive``
makes for a run of its own, so every combination's statistics, trades and equity are,
byte for byte, those ``kinds.strategies.sandboxed.run_strategy`` gives for it alone.

A combination whose code raises, or whose decision its book refuses, fails alone (its
``Outcome`` carries the same ``Failure`` its own run would); the others go on. So does one
that uses its own CPU budget (``Limits.combination_cpu_seconds``, counted in the child:
``sandbox.runner.Budget``): it FAILS naming the ``combination_cpu`` limit. What stops the
child (a limit of the chunk's sandbox, which has one run's ``Limits``; a broken protocol;
its death) fails every combination not finished by then with that failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import is_
from typing import Any

import numpy as np
import pandas as pd

from adapters.strategy_stats import strategy_stats
from engine.broker.book import Book
from engine.broker.costs import Costs
from engine.broker.shown import shown_state, traded_decisions
from engine.corporate import CorporateActions
from kinds.strategies.sandboxed import bars_payload, check_inputs, new_book, refused_failure
from sandbox import Failure, Limits, Outcome, Sandbox, SandboxFailed
from sandbox.outcome import FAILED, SUCCEEDED


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
    **settings: Any,
) -> list[Outcome]:
    """``run_strategy`` of every ``params_list[i]`` with ``seeds[i]``, in one sandbox: one
    ``Outcome`` per parameter set, in order (see the module's docstring); ``refs``,
    ``actions``, ``borrow`` and ``adjusted`` as ``run_strategy`` takes them (the other
    tickers' bars cross once, for every combination).

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
        "cpu_budget": sandbox.limits.combination_cpu_seconds,
        "class": class_name,
        "bars": bars_payload(shown),
        "refs": {ticker: bars_payload(frame) for ticker, frame in (refs or {}).items()},
        "combos": combos,
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
            _lockstep(sandbox, books, running, failures, bars.index, finalize_trades, adjusted)
    except SandboxFailed as exc:
        for at in running:
            failures[at] = exc.failure
    except BaseException:
        sandbox.close()
        raise
    output = sandbox.output()
    sandbox.close()
    return [
        Outcome(FAILED, failure=failures[at], output=output)
        if at in failures
        else Outcome(SUCCEEDED, value=strategy_stats(bars, book, class_name), output=output)
        for at, book in enumerate(books)
    ]


def _lockstep(
    sandbox: Sandbox,
    books: list[Book],
    running: dict[int, int],
    failures: dict[int, Failure],
    index: pd.Index,
    finalize: bool,
    adjusted: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None,
) -> None:
    """Every running book over its bars from its first (``running``: combination → first
    bar), as ``engine.broker.book.drive`` runs one: a book that goes broke stops without
    finishing; the others finish (``finalize``) after the last bar. With ``adjusted`` the
    states and decisions cross in adjusted units (``engine.broker.shown``)."""
    started = dict(running)
    sent: dict[int, dict] = {}  # each combination's last state, as whole
    n_bars = len(index)
    for bar in range(min(running.values(), default=n_bars), n_bars):
        states = []
        for at in [at for at, first in running.items() if first <= bar]:
            book = books[at]
            try:
                state = book.step(bar)
            except (ValueError, TypeError, ArithmeticError) as exc:
                failures[at] = refused_failure(book, index, exc)
                del running[at]
                continue
            if book.broke:
                del running[at]
                continue
            if adjusted is not None:
                state = shown_state(state, adjusted[1], adjusted[2])
            last, sent[at] = sent.get(at), state
            states.append([at, state if last is None else _changed(state, last)])
        if not states:
            if not running:
                return
            continue
        answers = _answers(sandbox.call("next_many", states), len(states))
        for (at, _), answer in zip(states, answers, strict=True):
            book = books[at]
            try:
                if isinstance(answer, dict):
                    failures[at] = sandbox.reported_failure(answer)
                    del running[at]
                    continue
                if not isinstance(answer, list):
                    raise ValueError(f"decisions: must be a list, is a {type(answer).__name__}")
                if adjusted is not None:
                    answer = traded_decisions(answer, bar, adjusted[1], adjusted[2])
                book.apply(answer)
            except (ValueError, TypeError, ArithmeticError) as exc:  # the book refused them
                failures[at] = refused_failure(book, index, exc)
                del running[at]
    if finalize:
        for at in running:
            if started[at] < n_bars:
                books[at].finish()


def unchanged(new: list[dict], old: list[dict]) -> bool:
    """Whether the records ``new`` are ``old``'s: the same keys, and every value the very
    same object (so the same JSON: an equal value computed again, ``1`` for ``1.0`` or
    ``-0.0`` for ``0.0`` included, is not). A loop, not ``all`` over a generator: it runs
    twice a combination and bar, mostly on one record or none."""
    if len(new) != len(old):
        return False
    for a, b in zip(new, old, strict=True):
        if a.keys() != b.keys() or not all(map(is_, a.values(), b.values())):
            return False
    return True


def _changed(state: dict, last: dict) -> dict:
    """``state`` without its ``trades`` and ``orders`` that are ``unchanged`` since
    ``last``, the previous state sent whole."""
    same = [key for key in ("trades", "orders") if unchanged(state[key], last[key])]
    if not same:
        return state
    kept = dict(state)
    for key in same:
        del kept[key]
    return kept


def _answers(value: Any, count: int) -> list[Any]:
    """A many-call's answer: a list of ``count``.

    :raise SandboxFailed: it is not (the child broke the protocol)."""
    if not isinstance(value, list) or len(value) != count:
        raise SandboxFailed(
            Failure("protocol", f"the strategy's process answered {count} combinations wrongly")
        )
    return value
