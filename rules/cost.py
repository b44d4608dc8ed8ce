"""What computing a rule's signals will cost, estimated before any bar is read: work in
bar·window operations and the float values held at once, and the first bar of the history
the signals need (their exact reach).

Pure arithmetic on the validated params and a bar count; a caller compares the figures with
its limits (``SIGNAL_MAX_WORK``, ``SIGNAL_MAX_VALUES``: docs/security.md#signal-cost-caps)
and refuses the request before computing. The estimate (docs/rules.md#what-a-rule-costs):

* **work** = bars × Σ per-bar work of the rule's distinct nodes. A node that scans its window
  on every bar (``stdev``, ``zscore``, ``highest``, ``lowest``: n; ``stoch_k``/``stoch_d``:
  2k) costs its window plus one; every other node (a column, an operator, a recursive or
  cumulative indicator) costs 1. A built-in rule costs 1 + the sum of its whole-number
  parameters (its periods: an upper bound of its scans); a COMPOSITE the sum of its rules.
* **values** = bars × Σ series each node keeps (1 for a column or an operator, 6 for an
  indicator: its line, the evaluator's copy and its temporaries); a built-in rule counts 16.

``reach`` is how many bars before bar t the value on bar t reads, when every node computes
bar t from a bounded stretch of bars with the same float operations wherever the history
starts (``highest``, ``lowest``, ``roc``, ``lag``, ``stoch_k``, crosses, operators). Then the
signals on the window are the same bit for bit when computed from ``window start − reach``.
Anything else — a moving average summed from the history's first bar, a recursive EMA or
Wilder average, a cumulative OBV or VWAP — depends on every earlier bar, so its reach is
None: the whole history up to the window's end is computed, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.expr.tree import Binary, Call, Column, Node, Number, Param, Unary, Walked, walk

SCANS = {"stdev": 1, "zscore": 1, "highest": 1, "lowest": 1, "stoch_k": 2, "stoch_d": 2}
"""Functions that read their whole window on every bar: window multiplier of their work."""

INDICATOR_VALUES = 6
"""Series an indicator node keeps or allocates at once (its line, the evaluator's stacked
copy, the temporaries of its formula)."""

BUILT_IN_VALUES = 16
"""Series a built-in rule holds at once (a handful of indicators and their temporaries)."""

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


@dataclass(frozen=True)
class SignalCost:
    """The estimate for one parameter set on ``bars`` bars: ``work`` in bar·window
    operations, ``values`` in float64 values held at once (× 8 bytes)."""

    bars: int
    work: int
    values: int

    @property
    def per_bar(self) -> int:
        """Work per bar: the sum of the nodes' window costs."""
        return self.work // self.bars if self.bars else 0


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


def _program_nodes(params: dict) -> set[Node]:
    """The distinct nodes of an EXPR rule's entry and exit (what the evaluator computes once
    each)."""
    from rules.library.expr import program_of

    program = program_of(params)
    return {*walk(program.entry), *walk(program.exit)}


def _expr_per_bar(params: dict) -> tuple[int, int]:
    work = values = 0
    for node in _program_nodes(params):
        if isinstance(node, Number | Param):
            continue
        work += 1
        if isinstance(node, Call) and node.function in SCANS:
            work += SCANS[node.function] * _windows(node, params)[0]
        is_indicator = isinstance(node, Call) and node.function not in _LOCAL
        values += INDICATOR_VALUES if is_indicator else 1
    return work, values


def _per_bar(rule_type: str, params: dict) -> tuple[int, int]:
    """(work, values) per bar of one validated rule."""
    if rule_type == "EXPR":
        return _expr_per_bar(params)
    if rule_type == "COMPOSITE":
        parts = [_per_bar(sub["rule_type"], sub["params"]) for sub in params["rules"]]
        return sum(w for w, _ in parts), sum(v for _, v in parts)
    periods = sum(v for v in params.values() if isinstance(v, int) and not isinstance(v, bool))
    return 1 + periods, BUILT_IN_VALUES


def signal_cost(rule_type: str, params: dict, bars: int) -> SignalCost:
    """The estimate of computing one validated rule's signals on ``bars`` bars.

    >>> signal_cost("EXPR", {"entry": "zscore(close, 2000) > 0", "exit": "close < 0",
    ...                      "bounds": {}}, 100_000).per_bar
    2004
    """
    work, values = _per_bar(rule_type, params)
    return SignalCost(bars=bars, work=bars * work, values=bars * values)


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


def reach(rule_type: str, params: dict) -> int | None:
    """Bars before bar t that a validated rule's signal on bar t reads, when the signal is
    the same bit for bit from any history holding them; None when it depends on the whole
    history (every built-in rule is counted so, and any EXPR with a moving average, a
    recursive or a cumulative indicator).

    >>> reach("EXPR", {"entry": "crossover(close, highest(close, 20))",
    ...                "exit": "roc(close, 5) < 0", "bounds": {}})
    20
    >>> reach("EXPR", {"entry": "close > sma(close, 20)", "exit": "close < 0", "bounds": {}})
    """
    if rule_type != "EXPR":
        return None
    from rules.library.expr import program_of

    program = program_of(params)
    known: dict[Node, int | None] = {}
    sides = [_reach(program.entry, params, known), _reach(program.exit, params, known)]
    return None if None in sides else max(sides)  # type: ignore[type-var]


__all__ = ["SCANS", "SignalCost", "reach", "signal_cost"]
