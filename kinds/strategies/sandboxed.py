"""A user's strategy module run in the sandbox, bar by bar, against the broker's order book
kept in this (the consumer's) process: the same statistics, trades and equity, bit for
bit, as notebook mode's ``backtest_strategy.Backtest(...).run()`` on the same code, data
and costs.

Only plain data crosses the sandbox's pipe: once the bars (as columns), the class name,
its params (``init``, answered with the first bar to decide on), then each bar the book's
state (``next``, answered with the strategy's decisions). The child runs the fixed harness
of host mode (``sandbox.runner.Harness``), never a function the user's module names. Every
answer is capped and checked by the sandbox; every decision is validated by the book, and
a refused one fails the run with the book's message naming the field
(``Failure.kind == "decision"``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from adapters.strategy_stats import COLUMNS, strategy_stats
from engine.broker.book import Book, drive
from engine.broker.costs import Costs
from engine.broker.shown import adjusted_decider
from engine.corporate import CorporateActions
from sandbox import Failure, Limits, Outcome, Sandbox, SandboxFailed, protocol
from sandbox.outcome import FAILED, SUCCEEDED

SETTINGS = ("margin", "trade_on_close", "hedging", "exclusive_orders")
"""The book's settings a run may give (backtesting.py's ``Backtest`` keywords)."""


def bars_payload(bars: pd.DataFrame) -> dict[str, Any]:
    """The bars as ``backtest_strategy.host.frame_from_columns`` rebuilds them: the index
    (a DatetimeIndex as integers in its unit, the unit and its zone) and every column with its dtype
    (a missing float as null: JSON has no NaN).

    :raise ValueError: a column that is not numbers or booleans, named.
    """
    index = bars.index
    if isinstance(index, pd.DatetimeIndex):
        shown = {
            "datetime": True,
            "values": index.asi8.tolist(),
            "unit": index.unit,
            "tz": str(index.tz) if index.tz is not None else None,
        }
    else:
        shown = {"datetime": False, "values": index.tolist(), "unit": None, "tz": None}
    columns = {}
    for name, column in bars.items():
        kind = column.dtype.kind
        if kind not in "fiub" or not isinstance(name, str):
            raise ValueError(f"bars.{name}: a column of numbers or booleans, named by a string")
        values = column.tolist()
        if kind == "f":
            values = [None if v != v else v for v in values]
        columns[name] = {"dtype": str(column.dtype), "values": values}
    return {"index": {**shown, "name": index.name}, "columns": columns}


def run_strategy(
    code: str,
    class_name: str,
    params: Mapping[str, Any],
    bars: pd.DataFrame,
    costs: Costs,
    *,
    finalize_trades: bool = False,
    seed: int = 0,
    limits: Limits | None = None,
    without: Iterable[str] = (),
    refs: Mapping[str, pd.DataFrame] | None = None,
    actions: CorporateActions | None = None,
    borrow: float = 0.0,
    adjusted: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None,
    **settings: Any,
) -> Outcome:
    """Run the class ``class_name`` of the module ``code`` with ``params`` over ``bars``
    (Open, High, Low, Close, Volume, increasing index; other columns the strategy reads)
    at ``costs`` (``engine.broker.book.book_costs``) and the book's ``settings``
    (``SETTINGS``). SUCCEEDED: ``value`` is the statistics with ``_equity_curve`` and
    ``_trades`` (``_strategy`` is the class name); FAILED: ``failure`` says why in the
    user's words. ``seed`` seeds ``random`` and ``numpy.random``; ``refs``: the other
    tickers' bars (frames as ``bars``, by ticker) the strategy may ``ref``; ``actions``
    and ``borrow`` (the fee per bar) are the book's corporate actions and short borrow fee
    (``engine.broker.book.Book``); ``adjusted``: (the bars the strategy reads instead,
    back-adjusted, their price and share factors: ``engine.broker.shown``); ``without`` is
    for tests.

    :raise ValueError: bars, params or settings the caller should have refused, named.
    """
    check_inputs(bars, [params], settings)
    book = new_book(bars, costs, settings, actions=actions, borrow=borrow)
    payload = {
        "class": class_name,
        "params": dict(params),
        "bars": bars_payload(bars if adjusted is None else adjusted[0]),
        "refs": {ticker: bars_payload(frame) for ticker, frame in (refs or {}).items()},
    }
    sandbox = Sandbox(code, limits, seed=seed, without=without, host=True)
    try:
        sandbox.start()
        start = sandbox.call("init", payload)
        if type(start) is not int or start < 1:
            raise SandboxFailed(Failure("protocol", f"init answered {start!r}, not a bar"))
        with np.errstate(invalid="ignore"):
            decide = _decider(sandbox)
            if adjusted is not None:
                decide = adjusted_decider(decide, adjusted[1], adjusted[2])
            drive(book, start, decide, finalize_trades)
    except SandboxFailed as exc:
        return _failed(sandbox, exc.failure)
    except (ValueError, TypeError, ArithmeticError) as exc:  # the book refused a decision
        return _failed(sandbox, refused_failure(book, bars.index, exc))
    except BaseException:
        sandbox.close()
        raise
    output = sandbox.output()
    sandbox.close()
    return Outcome(SUCCEEDED, value=strategy_stats(bars, book, class_name), output=output)


def check_inputs(bars: pd.DataFrame, params: Iterable[Mapping[str, Any]], settings: dict) -> None:
    """:raise ValueError: bars, params or settings the caller should have refused, named."""
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"settings: unknown {sorted(unknown)}; known: {SETTINGS}")
    missing = [name for name in (*COLUMNS, "Volume") if name not in bars.columns]
    if missing or len(bars) == 0 or not bars.index.is_monotonic_increasing:
        raise ValueError(f"bars: {len(bars)} bars, increasing, with {missing or 'every'} column")
    try:
        protocol.encode({"params": [dict(one) for one in params]})
    except (TypeError, ValueError) as exc:  # a numpy number, NaN, a set, ...
        raise ValueError(f"params: values JSON can hold (numbers, text, lists), {exc}") from None


def new_book(
    bars: pd.DataFrame,
    costs: Costs,
    settings: dict,
    *,
    actions: CorporateActions | None = None,
    borrow: float = 0.0,
) -> Book:
    """An empty book over ``bars``' prices at ``costs`` with the book's ``settings``, the
    ticker's corporate ``actions`` and the short ``borrow`` fee per bar."""
    return Book(
        *(bars[column].to_numpy(dtype=np.float64) for column in COLUMNS),
        costs=costs,
        actions=actions,
        borrow=borrow,
        **settings,
    )


def _decider(sandbox: Sandbox) -> Any:
    """``drive``'s ``decide``: one bar's state to the child, its decisions back, a list."""

    def decide(state: dict) -> list:
        decisions = sandbox.call("next", state)
        if not isinstance(decisions, list):
            raise ValueError(f"decisions: must be a list, is a {type(decisions).__name__}")
        return decisions

    return decide


def refused_failure(book: Book, index: pd.Index, exc: BaseException) -> Failure:
    """The failure of a run whose decision ``book`` refused with ``exc`` on its bar."""
    return Failure(
        "decision",
        f"the strategy's decisions on bar {book.bar} ({index[book.bar]}) were refused: {exc}",
    )


def _failed(sandbox: Sandbox, failure: Failure) -> Outcome:
    output = sandbox.output()
    sandbox.close()
    return Outcome(FAILED, failure=failure, output=output)
