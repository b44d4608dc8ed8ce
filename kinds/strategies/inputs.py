"""What a sandboxed strategy run is given and what it builds from it, shared by a run alone
(``kinds.strategies.sandboxed``) and a chunk's many (``kinds.strategies.replayed``): the
bars as columns for the child (``bars_payload``), the checks of bars, params and settings
(``check_inputs``), the book that counts (``new_book``), and the failure of a decision that
book refused (``refused_failure``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from adapters.strategy_stats import COLUMNS
from engine.broker.book import Book
from engine.broker.costs import Costs
from engine.corporate import CorporateActions
from sandbox import Failure, protocol

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


def refused_failure(book: Book, index: pd.Index, exc: BaseException) -> Failure:
    """The failure of a run whose decision ``book`` refused with ``exc`` on its bar."""
    return Failure(
        "decision",
        f"the strategy's decisions on bar {book.bar} ({index[book.bar]}) were refused: {exc}",
    )
