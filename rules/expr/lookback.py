"""The warm-up of a program, from its indicators' look-backs (``rules.warmup``'s
conventions): the first bar on which a node is defined is its indicator's documented
warm-up after the first defined bar of its input; a cross or a lag adds the bars it reads
back; ``and`` waits for the later side, ``or`` for the earlier; ``not`` of a comparison is
true where the comparison is undefined, so it can hold from bar 0.

``ref(ticker, x)`` counts x's warm-up on the run's bars (the other ticker is taken to share
the run's calendar). ``tf(frame, x)`` counts x's warm-up in periods, plus the period that
must end before its first value shows, times the daily bars of a period
(``rules.expr.frames.BARS_PER_FRAME``: 5 a week, 21 a month): ``tf("1w", sma(close, 200))``
needs (199 + 1) × 5 = 1,000 daily bars."""

from __future__ import annotations

from rules.expr.check import Program
from rules.expr.frames import BARS_PER_FRAME
from rules.expr.functions import FUNCTIONS
from rules.expr.tree import Binary, Call, Node, Number, Param, Text, Unary


def first_bar(node: Node, params: dict) -> int:
    """The first bar on which ``node`` can be defined (true, for a condition) under
    ``params``."""
    if isinstance(node, Unary):
        return 0 if node.op == "not" else first_bar(node.arg, params)
    if isinstance(node, Binary):
        left, right = first_bar(node.left, params), first_bar(node.right, params)
        return min(left, right) if node.op == "or" else max(left, right)
    if isinstance(node, Call) and node.function == "tf":
        frame, series = node.args
        assert isinstance(frame, Text)
        return (first_bar(series, params) + 1) * BARS_PER_FRAME[frame.value]
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
