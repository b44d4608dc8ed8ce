"""The typed tree of an expression: frozen, hashable nodes (equal sub-expressions are equal
nodes, so an evaluation can compute each once). ``pos`` (line, column) is kept for error
messages and takes no part in equality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Pos = tuple[int, int]


def _node(cls: type) -> type:
    """``dataclass(frozen=True)`` with the hash computed once per node: the evaluator's memo
    tables and the cost's scopes look a node up many times, and the generated hash would
    hash its whole subtree on every lookup."""
    cls = dataclass(frozen=True)(cls)
    of_fields: Callable[[object], int] = cls.__hash__  # type: ignore[assignment]

    def __hash__(self) -> int:
        known = self.__dict__.get("_hash")
        if known is None:
            known = of_fields(self)
            object.__setattr__(self, "_hash", known)
        return known

    cls.__hash__ = __hash__  # type: ignore[method-assign]
    return cls


@_node
class Node:
    """Base of every node."""

    pos: Pos = field(default=(1, 1), compare=False, repr=False, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()

    def __getstate__(self) -> dict:
        """The fields only: a string's hash differs from one process to the next."""
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


@_node
class Number(Node):
    """A constant."""

    value: float


@_node
class Named(Node):
    """A leaf that is a name: a ``Param`` or a ``Column`` (never equal to each other)."""

    name: str


class Param(Named):
    """``$name``: a number taken from the request's params."""


@_node
class Text(Node):
    """A quoted text: the ticker of ``ref("DEMOIX", …)`` or the timeframe of ``tf("1w", …)``
    (the checker refuses it anywhere else)."""

    value: str


class Column(Named):
    """A bar series: open, high, low, close or volume."""


class Walked(Named):
    """A series known only in the engine's bar-by-bar walk (a ``Position`` or the
    ``Equity``): the checker admits it outside any function that reads past bars only, and
    ``rules.expr.position`` evaluates the rest of its text element-wise in the walk."""


class Position(Walked):
    """A series of the open long: ``bars_held``, ``entry_price``, ``open_return`` or
    ``max_open_return`` (an exit condition only)."""


class Equity(Walked):
    """``equity``: the run's equity at a bar's close (a position size expression only)."""


@_node
class Call(Node):
    """A function of the table in ``rules.expr.functions``."""

    function: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@_node
class Unary(Node):
    """``-x`` (op "-") or ``not x`` (op "not")."""

    op: str
    arg: Node

    def children(self) -> tuple[Node, ...]:
        return (self.arg,)


@_node
class Binary(Node):
    """Arithmetic (+ - * /), a comparison (< <= > >= == !=) or a logical and/or."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


def walk(node: Node):
    """Every node of the tree, parents before children (iterative: no recursion limit)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


ARITHMETIC = ("+", "-", "*", "/")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
LOGICAL = ("and", "or")
