"""The warm-up of a program, from its indicators' look-backs (``rules.warmup``'s
conventions): the first bar on which a node is defined is its indicator's documented
warm-up after the first defined bar of its input; a cross or a lag adds the bars it reads
back; ``and`` waits for the later side, ``or`` for the earlier; ``not`` of a comparison is
true where the comparison is undefined, so it can hold from bar 0."""

from __future__ import annotations

from rules.expr.check import Program
from rules.expr.functions import FUNCTIONS
from rules.expr.tree import Binary, Call, Node, Number, Param, Unary


def first_bar(node: Node, params: dict) -> int:
    """The first bar on which ``node`` can be defined (true, for a condition) under
    ``params``."""
    if isinstance(node, Unary):
        return 0 if node.op == "not" else first_bar(node.arg, params)
    if isinstance(node, Binary):
        left, right = first_bar(node.left, params), first_bar(node.right, params)
        return min(left, right) if node.op == "or" else max(left, right)
    if isinstance(node, Call):
        function = FUNCTIONS[node.function]
        inputs, windows = [], []
        for arg, kind in zip(node.args, function.args, strict=False):
            if kind in ("window", "lag"):
                windows.append(int(arg.value) if isinstance(arg, Number) else int(params[arg.name]))
            else:
                inputs.append(first_bar(arg, params))
        return function.lookback(inputs, windows)
    assert not isinstance(node, Param) or node.name in params
    return 0


def warmup(program: Program, params: dict) -> tuple[int, int]:
    """(entry, exit) warm-up in bars of a program under validated params."""
    return first_bar(program.entry, params), first_bar(program.exit, params)
