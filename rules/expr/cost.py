"""What an EXPR rule's signals cost, from its tree (``rules.cost`` for every rule): per-bar
work and values of the distinct nodes the evaluator computes once each, and the exact reach
of a program whose every node reads a bounded stretch of bars (docs/rules.md#what-a-rule-costs).

Pure arithmetic on a compiled program and its validated params; ``rules.cost`` calls it for
EXPR only, so a process that costs built-in rules never loads the language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rules.expr.tree import Binary, Call, Column, Node, Number, Param, Unary, Walked, walk

if TYPE_CHECKING:  # pragma: no cover
    from rules.expr.check import Program

SCANS = {"stdev": 1, "zscore": 1, "highest": 1, "lowest": 1, "stoch_k": 2, "stoch_d": 2}
"""Functions that read their whole window on every bar: window multiplier of their work."""

INDICATOR_VALUES = 6
"""Series an indicator node keeps or allocates at once (its line, the evaluator's stacked
copy, the temporaries of its formula)."""

_LOCAL = {
    "highest": lambda w: w[0] - 1,
    "lowest": lambda w: w[0] - 1,
    "roc": lambda w: w[0],
    "lag": lambda w: w[0],
    "stoch_k": lambda w: w[0] - 1,
    "crossover": lambda w: 1,
    "crossunder": lambda w: 1,
    "abs": lambda w: 0,
    "log": lambda w: 0,
    "sqrt": lambda w: 0,
    "min": lambda w: 0,
    "max": lambda w: 0,
}
"""Functions whose value on bar t reads bars t − extra(windows) … t only, with float
operations that do not depend on where the history starts: extra bars beyond their inputs'."""


def _whole(node: Node, params: dict) -> int:
    return int(node.value) if isinstance(node, Number) else int(params[node.name])


def _windows(node: Call, params: dict) -> list[int]:
    from rules.expr.functions import FUNCTIONS

    kinds = FUNCTIONS[node.function].args
    return [
        _whole(arg, params)
        for arg, kind in zip(node.args, kinds, strict=False)
        if kind in ("window", "lag")
    ]


def per_bar(program: Program, params: dict) -> tuple[int, int]:
    """(work, values) per bar of one validated EXPR rule: its ``program``'s distinct nodes
    (what the evaluator computes once each) at ``params``."""
    work = values = 0
    for node in {*walk(program.entry), *walk(program.exit)}:
        if isinstance(node, Number | Param):
            continue
        work += 1
        if isinstance(node, Call) and node.function in SCANS:
            work += SCANS[node.function] * _windows(node, params)[0]
        is_indicator = isinstance(node, Call) and node.function not in _LOCAL
        values += INDICATOR_VALUES if is_indicator else 1
    return work, values


def _reach(node: Node, params: dict, known: dict[Node, int | None]) -> int | None:
    if node in known:
        return known[node]
    if isinstance(node, Number | Param | Column | Walked):
        found: int | None = 0
    elif isinstance(node, Unary | Binary) or (isinstance(node, Call) and node.function in _LOCAL):
        inputs = [_reach(child, params, known) for child in node.children()]
        extra = _LOCAL[node.function](_windows(node, params)) if isinstance(node, Call) else 0
        found = None if None in inputs else max(inputs, default=0) + extra
    else:
        found = None
    known[node] = found
    return found


def reach(program: Program, params: dict) -> int | None:
    """Bars before bar t that a validated EXPR rule's signal on bar t reads (``rules.cost.
    reach``), None when a node depends on the whole history."""
    known: dict[Node, int | None] = {}
    sides = [_reach(program.entry, params, known), _reach(program.exit, params, known)]
    return None if None in sides else max(sides)  # type: ignore[type-var]
