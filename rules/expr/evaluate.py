"""Evaluation of a checked ``Program`` over bars for N parameter sets at once.

Each node depends on a set of ``$parameters`` (its free parameters); the N rows are grouped
by the values of those alone, so a node is computed once per distinct value set: ``sma(close,
$fast)`` once per distinct fast, however many slows a sweep pairs it with; an equal
sub-expression in the entry and the exit is one node, computed once. Indicators run the
project's own functions (``rules.expr.functions``) on 1-D series, cached in the batch
cache across a sweep's chunks (as the built-in rules' batch functions cache theirs);
operators and the vectorised functions run on (K, T) stacks. Dispatch is on node types and
the whitelist table; no text is ever executed.

``ref`` and ``tf`` evaluate their series on other bars (another ticker's, attached by the
edge: ``rules.expr.market``, only the stretch the run's bars can see; the run's bars
resampled: ``rules.expr.frames``; both ``rules.expr.stretch``) with a batch of their own
over the same rows, then align its values to the run's bars without look-ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from rules.expr import frames, stretch
from rules.expr.check import Program
from rules.expr.cost import series_reach
from rules.expr.functions import ELEMENTWISE, FUNCTIONS
from rules.expr.market import others_of
from rules.expr.tree import Binary, Call, Column, Node, Number, Param, Text, Unary, Walked

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

_CACHE_TAG = "expr"
"""First item of this module's keys in the shared batch cache (``rules._batch``)."""


def evaluate_batch(
    program: Program,
    bars: Bars,
    rows: list[dict],
    cache: dict,
    others: Mapping[str, Bars] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(entries, exits), (N, T) bool arrays: row i is the program under ``rows[i]``'s
    parameter values (validated params of the EXPR rule); ``others`` ({ticker: bars}) are
    what ``ref`` reads (None: the tickers attached to ``bars``, ``rules.expr.market``)."""
    batch = _Batch(bars, rows, cache, others_of(bars) if others is None else others)
    return batch.condition(program.entry), batch.condition(program.exit)


def evaluate_series(
    program_node: Node,
    bars: Bars,
    params: dict,
    cache: dict,
    others: Mapping[str, Bars] | None = None,
) -> np.ndarray:
    """One node's values (a 1-D series, or a 1-element array for a number) for one
    parameter set: what overlays and panels draw."""
    batch = _Batch(bars, [params], cache, others_of(bars) if others is None else others)
    values, inv = batch.value(program_node)
    return values[inv[0]]


class _Batch:
    def __init__(
        self,
        bars: Bars,
        rows: list[dict],
        cache: dict,
        others: Mapping[str, Bars],
        scope: tuple = (),
    ) -> None:
        self.bars, self.rows, self.cache = bars, rows, cache
        self.others, self.scope = others, scope
        self.inner: dict[tuple[str, str, int, int], _Batch] = {}
        self.positions: dict[tuple[str, str], tuple[Bars, np.ndarray]] = {}
        self.n_rows, self.n_bars = len(rows), len(bars)
        self.memo: dict[Node, tuple[np.ndarray, np.ndarray]] = {}
        self.free: dict[Node, tuple[str, ...]] = {}
        self.groups: dict[tuple[str, ...], tuple[list[tuple], np.ndarray, np.ndarray]] = {}
        self.gathered: dict[tuple[Node, tuple[str, ...]], np.ndarray] = {}

    # --- grouping rows by the values of a node's parameters ----------------------------

    def names(self, node: Node) -> tuple[str, ...]:
        known = self.free.get(node)
        if known is None:
            if isinstance(node, Param):
                known = (node.name,)
            else:
                found: set[str] = set()
                for child in node.children():
                    found.update(self.names(child))
                known = tuple(sorted(found))
            self.free[node] = known
        return known

    def group(self, names: tuple[str, ...]) -> tuple[list[tuple], np.ndarray, np.ndarray]:
        """(distinct value tuples, row -> tuple index, first row of each tuple)."""
        known = self.groups.get(names)
        if known is None and self.n_rows == 1:  # one parameter set (a series, a ranking)
            key = tuple(self.rows[0][name] for name in names)
            known = self.groups[names] = ([key], np.zeros(1, np.intp), np.zeros(1, np.intp))
        if known is None:
            columns = [[row[name] for row in self.rows] for name in names]
            values = zip(*columns, strict=True) if names else [()] * self.n_rows
            index: dict[tuple, int] = {}
            inv = np.array([index.setdefault(key, len(index)) for key in values], dtype=np.intp)
            firsts = np.unique(inv, return_index=True)[1].astype(np.intp)
            known = self.groups[names] = (list(index), inv, firsts)
        return known

    def rows_of(self, child: Node, names: tuple[str, ...]) -> np.ndarray:
        """The child's values, one row per distinct value tuple of ``names`` (a superset of
        the child's own parameters)."""
        values, inv = self.value(child)
        if self.names(child) == names:
            return values
        gathered = self.gathered.get((child, names))
        if gathered is None:  # kept: the exit often reads the entry's operands again
            gathered = self.gathered[(child, names)] = values[inv[self.group(names)[2]]]
        return gathered

    # --- evaluation ---------------------------------------------------------------------

    def condition(self, node: Node) -> np.ndarray:
        values, inv = self.value(node)
        rows = values if len(values) == self.n_rows and self.names(node) else values[inv]
        if rows.shape != (self.n_rows, self.n_bars):
            rows = np.broadcast_to(rows, (self.n_rows, self.n_bars))
        if rows.dtype == bool and rows.flags.writeable and rows is not values:
            return rows
        return np.array(rows, dtype=bool)

    def value(self, node: Node) -> tuple[np.ndarray, np.ndarray]:
        """(values, inv): values has one row per distinct parameter tuple of the node ((K, T)
        for a series or condition, (K, 1) for a number); inv maps each of the N rows to
        its value row."""
        known = self.memo.get(node)
        if known is None:
            names = self.names(node)
            keys, inv, _ = self.group(names)
            with np.errstate(all="ignore"):
                values = self.compute(node, names, keys)
            known = self.memo[node] = (values, inv)
        return known

    def compute(self, node: Node, names: tuple[str, ...], keys: list[tuple]) -> np.ndarray:
        if isinstance(node, Number):
            return np.array([[node.value]])
        if isinstance(node, Param):
            return np.array([[float(key[0])] for key in keys])
        if isinstance(node, Walked):  # outside the walk (``rules.expr.position``)
            return np.array([[np.nan]])
        if isinstance(node, Column):
            return np.asarray(_bar_column(self.bars, node.name), dtype=np.float64)[None, :]
        if isinstance(node, Unary):
            arg = self.rows_of(node.arg, names)
            return np.logical_not(arg) if node.op == "not" else np.negative(arg)
        if isinstance(node, Binary):
            return _binary(node.op, self.rows_of(node.left, names), self.rows_of(node.right, names))
        assert isinstance(node, Call)
        if node.function in ELEMENTWISE:
            args = [self.rows_of(arg, names) for arg in node.args]
            return ELEMENTWISE[node.function](*args)
        if node.function == "lag":
            return self.lag(node, names, keys)
        if node.function in ("ref", "tf"):
            return self.aligned(node)
        return self.indicator(node, names, keys)

    def aligned(self, node: Call) -> np.ndarray:
        """``ref(ticker, x)`` or ``tf(frame, x)``: x on the other bars, one row per value
        tuple of x's parameters (the node's own), taken at the positions this batch's bars
        may see: the ticker's last bar at or before each bar, or the last ended period.
        A ``ref`` computes x only on the stretch of the ticker's bars these bars can see
        (``rules.expr.stretch``), one inner batch per stretch."""
        label, series = node.args
        assert isinstance(label, Text)
        whole, at = self.seen(node.function, label.value)
        bars, at, first, stop = stretch.cut(node.function, whole, at, self.reach(series))
        if len(bars) == 0:  # no calling bar sees any of the ticker's bars
            return np.full((len(self.group(self.names(node))[0]), self.n_bars), np.nan)
        key = (node.function, label.value, first, stop)
        inner = self.inner.get(key)
        if inner is None:
            where = ("ref", label.value, id(whole), first, stop)
            scope = (*self.scope, *(where if node.function == "ref" else ("tf", label.value)))
            inner = self.inner[key] = _Batch(bars, self.rows, self.cache, self.others, scope)
        return frames.take(inner.value(series)[0], at)

    def seen(self, function: str, label: str) -> tuple[Bars, np.ndarray]:
        """``rules.expr.stretch.seen`` on this batch's bars, once per ticker or frame."""
        known = self.positions.get((function, label))
        if known is None:
            known = self.positions[(function, label)] = stretch.seen(
                function, label, self.bars, self.others
            )
        return known

    def reach(self, series: Node) -> int | None:
        """The series' reach under every row's parameters (the largest; None when any row's
        is unbounded: ``rules.expr.cost.series_reach``)."""
        found = [
            series_reach(series, self.rows[int(row)]) for row in self.group(self.names(series))[2]
        ]
        return None if None in found else max(found, default=0)  # type: ignore[type-var]

    def whole(self, arg: Node, key: dict) -> int:
        """A window or lag argument's value for one parameter set."""
        return int(arg.value) if isinstance(arg, Number) else int(key[arg.name])

    def lag(self, node: Call, names: tuple[str, ...], keys: list[tuple]) -> np.ndarray:
        x = self.rows_of(node.args[0], names)
        fill = False if x.dtype == bool else np.nan
        firsts = self.group(names)[2]
        lags = np.array([self.whole(node.args[1], self.rows[row]) for row in firsts.tolist()])
        if x.shape[0] != len(lags):
            x = np.broadcast_to(x, (len(lags), x.shape[1]))
        out = np.full(x.shape, fill, dtype=x.dtype)
        for n in np.unique(lags).tolist():
            rows = np.flatnonzero(lags == n)
            if n == 0:
                out[rows] = x[rows]
            elif n < x.shape[1]:
                out[rows, n:] = x[rows, :-n]
        return out

    def indicator(self, node: Call, names: tuple[str, ...], keys: list[tuple]) -> np.ndarray:
        function = FUNCTIONS[node.function]
        series_args = [(arg, kind) for arg, kind in zip(node.args, function.args, strict=False)]
        columns = [np.asarray(getattr(self.bars, c), dtype=np.float64) for c in function.columns]
        firsts = self.group(names)[2]
        out = []
        for at, key in enumerate(keys):
            cache_key = (_CACHE_TAG, node, key, *self.scope)
            line = self.cache.get(cache_key)
            if line is None:
                row = self.rows[int(firsts[at])]
                inputs, windows = [], []
                for arg, kind in series_args:
                    if kind in ("window", "lag"):
                        windows.append(self.whole(arg, row))
                    else:
                        values, inv = self.value(arg)
                        inputs.append(values[inv[int(firsts[at])]])
                line = self.cache[cache_key] = function.compute(*columns, *inputs, *windows)
            out.append(line)
        return np.stack(out)


def _binary(op: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "==":
        return left == right
    if op == "!=":
        return (left < right) | (left > right)  # undefined values are never "unequal"
    if op == "and":
        return left & right
    assert op == "or"
    return left | right


def _bar_column(bars: Bars, name: str) -> np.ndarray:
    """The bar series ``name`` of ``COLUMNS``, looked up in a fixed table, never as an
    attribute named by the text (the checker admits only these names; this holds even for a
    tree that skipped it).

    :raise KeyError: ``name`` is no bar series.
    """
    return {
        "open": bars.open,
        "high": bars.high,
        "low": bars.low,
        "close": bars.close,
        "volume": bars.volume,
    }[name]
