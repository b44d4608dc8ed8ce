"""What an EXPR rule's signals cost, from its tree (``rules.cost`` for every rule): per-bar
work and values of the distinct nodes the evaluator computes once each, on the bars each is
computed on, and the exact reach of a program whose every node reads a bounded stretch of
bars (docs/rules.md#what-a-rule-costs).

The nodes under a ``ref`` or a ``tf`` are computed on other bars (another ticker's stretch,
the periods of a higher timeframe: ``rules.expr.stretch``, the evaluator's own choice), so
they are counted on those bars: a part per stretch (``rules.cost.Part``), its bar count
found from the bars themselves when they are at hand, else taken to be the run's.

Pure arithmetic on a compiled program and its validated params (and numpy on the bars'
timestamps); ``rules.cost`` calls it for EXPR only, so a process that costs built-in rules
never loads the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rules.expr import stretch
from rules.expr.tree import Binary, Call, Column, Node, Number, Param, Text, Unary, Walked

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from engine import Bars
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


def _node_cost(node: Node, params: dict) -> tuple[int, int]:
    """(work, values) per bar of one node computed by the evaluator (0, 0: a number, a
    parameter or a quoted text, which are no series)."""
    if isinstance(node, Number | Param | Text):
        return 0, 0
    work = 1
    if isinstance(node, Call) and node.function in SCANS:
        work += SCANS[node.function] * _windows(node, params)[0]
    is_indicator = isinstance(node, Call) and node.function not in _LOCAL
    return work, INDICATOR_VALUES if is_indicator else 1


def _scope(roots: list[Node]) -> tuple[set[Node], list[Call]]:
    """The distinct nodes computed on one set of bars from ``roots`` (a ``ref``/``tf``
    call included: its aligned values are this set's) and the ``ref``/``tf`` calls whose
    series are computed on other bars."""
    from rules.expr.functions import OTHER_BARS

    seen: set[Node] = set()
    calls: list[Call] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, Call) and node.function in OTHER_BARS:
            calls.append(node)
        else:
            stack.extend(node.children())
    return seen, calls


def _label(node: Call, outer: str) -> str:
    label = node.args[0]
    assert isinstance(label, Text)
    text = f'{node.function}("{label.value}", …)'
    return f"{text} inside {outer}" if outer else text


def parts(
    program: Program,
    params: dict,
    bars: Bars | int,
    others: Mapping[str, Bars] | None = None,
) -> list[tuple[str, int, int, int]]:
    """The cost of one validated EXPR rule at ``params`` computed on ``bars``: (where, bars,
    work, values per bar) of each set of bars its nodes are computed on (``rules.cost.Part``;
    the run's own first), as the evaluator
    computes them (``rules.expr.evaluate``): equal nodes on the same bars once, each
    ``ref``/``tf`` series on its stretch (``rules.expr.stretch``; ``others``: what ``ref``
    reads). With a bar count instead of bars, every stretch is counted as that many bars."""
    found: list[tuple[str, int, int, int]] = []
    pending: list[tuple[str, Bars | int, list[Node]]] = [("", bars, [program.entry, program.exit])]
    while pending:
        where, on, roots = pending.pop(0)
        nodes, calls = _scope(roots)
        costs = [_node_cost(node, params) for node in nodes]
        count = on if isinstance(on, int) else len(on)
        found.append((where, count, sum(w for w, _ in costs), sum(v for _, v in costs)))
        inner: dict[tuple, tuple[str, Bars | int, list[Node]]] = {}
        seen: dict[tuple[str, str], tuple[Bars, np.ndarray]] = {}  # ``tf`` resamples once
        for call in calls:
            label, series = call.args
            assert isinstance(label, Text)
            key: tuple = (call.function, label.value)
            stretch_of: Bars | int = on
            if not isinstance(on, int):
                if key not in seen:
                    seen[key] = stretch.seen(call.function, label.value, on, others or {})
                whole, at = seen[key]
                stretch_of, _, first, stop = stretch.cut(
                    call.function, whole, at, series_reach(series, params)
                )
                key = (*key, first, stop)
            group = inner.setdefault(key, (_label(call, where), stretch_of, []))
            group[2].append(series)
        pending.extend(inner.values())
    return found


def _reach(node: Node, params: dict, known: dict[Node, int | None]) -> int | None:
    if node in known:
        return known[node]
    if isinstance(node, Number | Param | Column | Walked):
        found: int | None = 0
    elif isinstance(node, Call) and node.function == "ref":
        # x on the ticker's own bars, as of bar t: nothing of the run's earlier bars
        found = None if _reach(node.args[1], params, known) is None else 0
    elif isinstance(node, Unary | Binary) or (isinstance(node, Call) and node.function in _LOCAL):
        inputs = [_reach(child, params, known) for child in node.children()]
        extra = _LOCAL[node.function](_windows(node, params)) if isinstance(node, Call) else 0
        found = None if None in inputs else max(inputs, default=0) + extra
    else:
        found = None
    known[node] = found
    return found


def series_reach(node: Node, params: dict) -> int | None:
    """Bars before bar t that ``node``'s value on bar t reads, on whatever bars it is
    computed, when it is the same bit for bit from any history holding them; None when it
    depends on the whole history. ``ref(ticker, x)`` reads none of the calling bars' past
    when x is bounded (x is computed on the ticker's bars, ``rules.expr.stretch``)."""
    return _reach(node, params, {})


def reach(program: Program, params: dict) -> int | None:
    """Bars before bar t that a validated EXPR rule's signal on bar t reads (``rules.cost.
    reach``), None when a node depends on the whole history."""
    known: dict[Node, int | None] = {}
    sides = [_reach(program.entry, params, known), _reach(program.exit, params, known)]
    return None if None in sides else max(sides)  # type: ignore[type-var]
