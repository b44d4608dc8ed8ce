"""A residual tree (``rules.expr.position``: the part of a size expression or an exit that
names a series known only in the walk) as the flat program the engine's step evaluates
itself (``engine.broker.program``): postfix opcodes, their constants, and the walk-free
leaves stacked one row a leaf.

Only the operators and functions whose scalar result is bit-identical to numpy's
element-wise one have an opcode (``FUNCTIONS``, ``BINARY``); a tree using another (``log``)
has no program (None) and the engine calls the Python object instead.

Pure: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engine.broker import program as op
from engine.broker.program import ExitProgram, SizeProgram
from rules.expr.tree import Binary, Call, Node, Unary, Walked

BINARY = {
    "+": op.ADD, "-": op.SUB, "*": op.MUL, "/": op.DIV,
    "<": op.LT, "<=": op.LE, ">": op.GT, ">=": op.GE, "==": op.EQ, "!=": op.NE,
    "and": op.AND, "or": op.OR,
}  # fmt: skip
"""The binary operators' opcodes (each as ``rules.expr.evaluate`` computes it)."""

UNARY = {"-": op.NEG, "not": op.NOT}

FUNCTIONS = {"abs": op.ABS, "sqrt": op.SQRT, "min": op.MIN, "max": op.MAX}
"""The element-wise functions with an opcode: ``log`` has none (numpy's may differ from the
compiled one in the last bit)."""


class _Unflat(Exception):
    """The tree uses an operation without an opcode."""


def flat(
    tree: Node, parts: Mapping[Node, np.ndarray], n_bars: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(code, constants, leaves) of the residual ``tree`` whose walk-free ``parts`` hold
    ``n_bars`` values each, or 1 (a constant); None when an operation of it has no opcode
    or a part has another length."""
    code: list[tuple[int, int]] = []
    constants: list[float] = []
    rows: list[np.ndarray] = []
    seen: dict[Node, tuple[int, int]] = {}
    try:
        _emit(tree, parts, n_bars, (code, constants, rows, seen))
    except _Unflat:
        return None
    leaves = np.array(rows, dtype=np.float64).reshape(len(rows), n_bars if rows else 0)
    return np.array(code, dtype=np.int64), np.array(constants, dtype=np.float64), leaves


def _emit(node: Node, parts: Mapping[Node, np.ndarray], n_bars: int, out: tuple) -> None:
    code, seen = out[0], out[3]
    if isinstance(node, Walked):
        code.append((op.PUSH_SERIES, op.SERIES.index(node.name)))
        return
    part = parts.get(node)
    if part is not None:
        code.append(seen.get(node) or _pushed(node, np.asarray(part), n_bars, out))
        return
    if isinstance(node, Unary):
        _emit(node.arg, parts, n_bars, out)
        code.append((UNARY[node.op], 0))
        return
    if isinstance(node, Binary):
        _emit(node.left, parts, n_bars, out)
        _emit(node.right, parts, n_bars, out)
        code.append((BINARY[node.op], 0))
        return
    if not isinstance(node, Call) or node.function not in FUNCTIONS:
        raise _Unflat
    for arg in node.args:
        _emit(arg, parts, n_bars, out)
    code.append((FUNCTIONS[node.function], 0))


def _pushed(node: Node, part: np.ndarray, n_bars: int, out: tuple) -> tuple[int, int]:
    """The instruction pushing a walk-free part: a constant (one value) or a leaf row."""
    _, constants, rows, seen = out
    values = part.astype(np.float64).reshape(-1)
    if values.shape[0] == 1:
        constants.append(float(values[0]))
        seen[node] = (op.PUSH_CONST, len(constants) - 1)
    elif values.shape[0] == n_bars:
        rows.append(values)
        seen[node] = (op.PUSH_LEAF, len(rows) - 1)
    else:
        raise _Unflat
    return seen[node]


def size_program(
    tree: Node, parts: Mapping[Node, np.ndarray], scale: np.ndarray | None
) -> SizeProgram | None:
    """The program of a size expression's residual ``tree`` (``rules.size_expr.SizeAt``),
    times ``scale`` on each bar when given; None when it has none."""
    lengths = [len(part) for part in parts.values() if len(part) != 1]
    n_bars = max(lengths, default=0 if scale is None else len(scale))
    flattened = flat(tree, parts, n_bars)
    if flattened is None:
        return None
    scaled = np.zeros(0) if scale is None else np.asarray(scale, dtype=np.float64)
    return SizeProgram(*flattened, scale=scaled)


def exit_program(
    tree: Node, parts: Mapping[Node, np.ndarray], close: np.ndarray
) -> ExitProgram | None:
    """The program of a position-aware exit's residual ``tree``
    (``rules.expr.position.PositionExit``) on the run's ``close``; None when it has none."""
    flattened = flat(tree, parts, len(close))
    return None if flattened is None else ExitProgram(*flattened, close=close)
