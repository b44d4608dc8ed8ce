"""A user's strategy module run in the sandbox against the broker's order book kept in this
(the consumer's) process: the same statistics, trades and equity, bit for bit, as notebook
mode's ``backtest_strategy.Backtest(...).run()`` on the same code, data and costs.

A run is a sweep chunk of one combination (``kinds.strategies.replayed``): only plain data
crosses the sandbox's pipe — once the bars (as columns), the class name and its params
(``init_many``, answered with the first bar to decide on), then pages of the strategy's
decisions by bar (``drive``), which this process's book replays. The child runs the fixed
harness of host mode (``sandbox.runner.Harness``), never a function the user's module
names. Every answer is capped and checked by the sandbox; every decision is validated by
the book, and a refused one fails the run with the book's message naming the field
(``Failure.kind == "decision"``). The inputs both take: ``kinds.strategies.inputs``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from engine.broker.costs import Costs
from engine.corporate import CorporateActions
from kinds.strategies.replayed import run_strategies
from sandbox import Limits, Outcome


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
    (``kinds.strategies.inputs.SETTINGS``). SUCCEEDED: ``value`` is the statistics with
    ``_equity_curve`` and ``_trades`` (``_strategy`` is the class name); FAILED:
    ``failure`` says why in the user's words. ``seed`` seeds ``random`` and
    ``numpy.random``; ``refs``: the other tickers' bars (frames as ``bars``, by ticker)
    the strategy may ``ref``; ``actions`` and ``borrow`` (the fee per bar) are the book's
    corporate actions and short borrow fee (``engine.broker.book.Book``); ``adjusted``:
    (the bars the strategy reads instead, back-adjusted, their price and share factors:
    ``engine.broker.shown``); ``without`` is for tests.

    :raise ValueError: bars, params or settings the caller should have refused, named.
    """
    return run_strategies(
        code, class_name, [params], bars, costs, seeds=[seed], finalize_trades=finalize_trades,
        limits=limits, without=without, refs=refs, actions=actions, borrow=borrow,
        adjusted=adjusted, budgeted=False, **settings,
    )[0]  # fmt: skip
