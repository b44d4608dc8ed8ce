"""The price expressions of an entry order: a ``limit`` and a ``stop`` text in the strategy
language (each a series: ``close * (1 - $k/100)``, ``low``, ``sma(close, 5)``), with one
number per ``$name`` they use.

Pure: texts are checked by ``rules.expr`` (the EXPR rule's grammar, whitelist and bounds;
nothing is ever executed) and values by the EXPR rule's value check
(``rules.library.expr.param_value``); ``prices`` evaluates them over bars (bar t's value
uses bars <= t only: the price an order placed at t's close gets). docs/execution.md,
"Entry orders", describes the request field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.param_specs import ENTRY_ORDER_PRICES
from rules.expr import ExprError
from rules.expr.check import SERIES, check_text
from rules.expr.evaluate import evaluate_series
from rules.expr.tree import Node
from rules.library.expr import given_values
from rules.spec import RuleValidationError

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

PRICE_FIELDS = ("limit", "stop")
"""The price texts of an entry order, in order."""

NEEDS = ENTRY_ORDER_PRICES
"""The price texts each entry order type requires (and the only ones it accepts): the
engine's spec (``engine.param_specs.ENTRY_ORDER_PRICES``)."""


@dataclass(frozen=True)
class EntryPrices:
    """Checked price trees (None: not used); ``params`` maps each ``$name`` to its use
    (``rules.expr.check.USES``), in order of first appearance."""

    limit: Node | None
    stop: Node | None
    params: dict[str, str] = field(hash=False)
    constraints: tuple[str, ...] = ()


@lru_cache(maxsize=64)
def compile_prices(limit: str | None, stop: str | None) -> EntryPrices:
    """The ``EntryPrices`` of a limit and a stop text (cached by text).

    :raise ExprError: with ``side`` set to "limit" or "stop".
    """
    params: dict[str, str] = {}
    constraints: list[str] = []
    trees: dict[str, Node | None] = {}
    for side, text in zip(PRICE_FIELDS, (limit, stop), strict=True):
        try:
            trees[side] = None if text is None else check_text(text, params, constraints, SERIES)
        except ExprError as exc:
            exc.side = side  # type: ignore[attr-defined]
            raise
    return EntryPrices(trees["limit"], trees["stop"], params, tuple(dict.fromkeys(constraints)))


def check_prices(
    order_type: str, texts: dict[str, object], values: object, prefix: str = "entry_order."
) -> tuple[EntryPrices, dict[str, Any]]:
    """The checked price texts of an entry order of ``order_type`` and their ``$name``
    values, normalised (whole numbers for windows and lags, floats for numbers).

    :raise RuleValidationError: naming ``entry_order.limit`` / ``entry_order.stop`` (missing
        where the type needs it, given where it does not, or not a valid series, with the
        position), or ``entry_order.params.<name>``.
    """
    needed = NEEDS[order_type]
    for side in PRICE_FIELDS:
        text, at = texts.get(side), f"{prefix}{side}"
        if text is None and side in needed:
            raise RuleValidationError(at, f"{at} is required by a {order_type} order")
        if text is not None and side not in needed:
            raise RuleValidationError(at, f"{at} is not used by a {order_type} order")
        if text is not None and not isinstance(text, str):
            raise RuleValidationError(at, f"{at} must be a string")
    try:
        prices = compile_prices(texts.get("limit"), texts.get("stop"))  # type: ignore[arg-type]
    except ExprError as exc:
        at = f"{prefix}{exc.side}"  # type: ignore[attr-defined]
        raise RuleValidationError(at, f"{at} at {exc.where}: {exc.message}") from None
    at = f"{prefix}params"
    return prices, given_values(prices.params, prices.constraints, values, at, "limit or stop")


def prices(
    entry: EntryPrices, bars: Bars, values: dict[str, Any]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(limit, stop) over ``bars`` as float64 arrays of their length (None: not used);
    NaN where an indicator is still warming up or the value is not finite."""
    cache: dict = {}
    out = []
    for tree in (entry.limit, entry.stop):
        if tree is None:
            out.append(None)
            continue
        series = np.asarray(evaluate_series(tree, bars, values, cache), dtype=np.float64)
        series = np.broadcast_to(series, (len(bars),)).copy()
        series[~np.isfinite(series)] = np.nan
        out.append(series)
    return out[0], out[1]
