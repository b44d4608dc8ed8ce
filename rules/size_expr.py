"""The position size of a run as an expression (the request's ``size_expr``): a text in the
strategy language giving, on the bar whose signal opens a position, a fraction of equity or
a share count, with one number per ``$name`` it uses. ``equity`` (the run's equity at that
bar's close) may appear in it, element-wise: ``0.10 / (stdev(roc(close, 1) / 100, 20) *
sqrt(252))`` (volatility targeting, a fraction) or ``0.01 * equity / (2 * atr(14))``
(risk per trade, shares).

Pure: the text is checked by ``rules.expr`` (with ``equity`` allowed, outside functions that
read past bars) and values by the EXPR rule's value check; ``size_at`` evaluates its
``equity``-free parts over the bars at once and the rest per signal bar from the equity the
engine's walk passes (``rules.expr.position.residual``), which the engine's step evaluates
compiled when it has a program (``rules.expr.flat``: arithmetic, comparisons, ``abs``,
``sqrt``, ``min``, ``max``).
docs/execution.md, "Position size as an expression", says how the engine applies it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from rules.expr import ExprError
from rules.expr.check import SERIES, check_text
from rules.expr.evaluate import _Batch
from rules.expr.position import leaves, residual
from rules.expr.tree import Node
from rules.library.expr import given_values
from rules.spec import RuleValidationError

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

SIZE_UNITS = ("fraction", "shares")
"""What the expression's value is: a fraction of equity or a number of shares."""


@dataclass(frozen=True)
class SizeText:
    """A checked size tree; ``params`` maps each ``$name`` to its use, in order."""

    tree: Node
    params: dict[str, str] = field(hash=False)
    constraints: tuple[str, ...] = ()


@lru_cache(maxsize=64)
def compile_size(text: str) -> SizeText:
    """The ``SizeText`` of a size text (cached by text).

    :raise ExprError: for the first problem, with its position.
    """
    params: dict[str, str] = {}
    constraints: list[str] = []
    tree = check_text(text, params, constraints, SERIES, equity=True)
    return SizeText(tree, params, tuple(dict.fromkeys(constraints)))


def check_size(text: object, values: object, prefix: str = "size_expr.") -> dict[str, Any]:
    """The ``$name`` values of a size text, checked and normalised (whole numbers for
    windows and lags, floats for numbers).

    :raise RuleValidationError: naming ``size_expr.expr`` (not a string or not a valid
        series, with the position) or ``size_expr.params.<name>``.
    """
    at = f"{prefix}expr"
    if not isinstance(text, str):
        raise RuleValidationError(at, f"{at} must be a string (an expression)")
    try:
        size = compile_size(text)
    except ExprError as exc:
        raise RuleValidationError(at, f"{at} at {exc.where}: {exc.message}") from None
    return given_values(size.params, size.constraints, values, f"{prefix}params", "expr")


class SizeAt:
    """One run's size expression, what ``engine.run``'s ``size`` takes: ``self(bar,
    equity)`` is its value on ``bar``'s close with the run's equity then (NaN when
    undefined), times ``scale[bar]`` when given (a share count read on adjusted prices,
    turned into the shares traded that day). ``program``: the same as the engine's step
    evaluates it (``engine.broker.program.SizeProgram``), None when it has none."""

    def __init__(
        self, tree: Node, parts: dict[Node, np.ndarray], scale: np.ndarray | None = None
    ) -> None:
        self.tree, self.parts = tree, parts
        self._value = residual(tree, parts)
        self.scale = None if scale is None else np.asarray(scale, dtype=np.float64).tolist()
        from rules.expr.flat import size_program  # loads the engine: a run's, not a check's

        self.program = size_program(tree, parts, scale)

    def __call__(self, bar: int, equity: float) -> float:
        def series(name: str) -> np.ndarray:
            return np.array([equity])

        with np.errstate(all="ignore"):
            value = self._value(bar, bar + 1, series)
        out = float(np.asarray(value, dtype=np.float64).reshape(-1)[0])
        if self.scale is not None:
            out *= self.scale[bar]
        return out if math.isfinite(out) else math.nan


def size_at(
    text: str,
    bars: Bars,
    values: dict[str, Any],
    window: slice,
    scale: np.ndarray | None = None,
) -> SizeAt:
    """The ``SizeAt`` of a checked size text under ``values``: its ``equity``-free parts
    computed on ``bars`` (the signal history: bar t's value uses bars <= t only) and cut to
    ``window``, the bars the run trades; ``scale`` (one per window bar) multiplies it."""
    tree = compile_size(text).tree
    batch = _Batch(bars, [values], {}, {})
    parts = {}
    for leaf in leaves(tree):
        line = np.asarray(batch.value(leaf)[0][0], dtype=np.float64)
        parts[leaf] = line[window] if line.shape[0] == len(bars) else line
    return SizeAt(tree, parts, scale)
