"""Position-aware exits: an exit condition that names the open position's series
(``bars_held``, ``entry_price``, ``open_return``, ``max_open_return``) evaluated in the
engine's bar-by-bar walk (docs/execution.md, "Position-aware exits").

The exit tree is split in two. Its largest sub-trees that name no position series are
evaluated as every text is (``rules.expr.evaluate``: vectorised over all bars, each once per
distinct value set of its ``$names``); the rest, the *residual*, holds only comparisons,
arithmetic, ``and``/``or``/``not`` and the element-wise functions of
``rules.expr.check.POSITION_FUNCTIONS`` over those series and the position's. When the walk
opens a long (fill bar e, fill price p), ``PositionExit`` evaluates the residual on the bars
from e on, in stretches that double in length while the long stays open, so a run costs
O(T) whatever its trades. Outside a long the names are NaN, which is the exit
``rules.expr.evaluate`` gives (comparisons with them are false).

Pure: arrays in, booleans out; the engine calls the objects without knowing the language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from rules.expr.check import Program, uses_walked, walk
from rules.expr.evaluate import _Batch, _binary
from rules.expr.functions import ELEMENTWISE
from rules.expr.market import others_of
from rules.expr.tree import Binary, Call, Node, Unary, Walked

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

PRICED = ("entry_price", "open_return", "max_open_return")
"""The position series that read the entry price (``bars_held`` does not)."""

FIRST_STRETCH = 16
"""Bars of the first stretch a position's exit is evaluated on (then 32, 64, …)."""


def leaves(node: Node) -> list[Node]:
    """The largest sub-trees of ``node`` that name no series of the walk (a position series
    or ``equity``), in order (``node`` itself when it names none)."""
    if not uses_walked(node):
        return [node]
    out: list[Node] = []
    for child in node.children():
        if not isinstance(child, Walked):
            out.extend(leaves(child))
    return out


class _Held:
    """The exit of one open position: ``self(t)`` is the residual on bar t's close."""

    def __init__(self, owner: PositionExit, side: float, first: int, price: float) -> None:
        self.owner, self.side, self.first, self.price = owner, side, first, price
        self.start = self.stop = first
        self.best = -np.inf
        self.anchor = first
        """The bar from which ``price`` holds (``reprice``)."""
        self.settled = -np.inf
        """The best open return on the closes before ``anchor``."""
        self.values: list[bool] = []
        self.row = np.zeros(0, dtype=bool)
        """``values`` as an array."""
        self.size = FIRST_STRETCH

    def __call__(self, bar: int) -> bool:
        while bar >= self.stop:
            self._extend()
        return self.values[bar - self.start]

    @property
    def reads_price(self) -> bool:
        """Whether ``reprice`` can change the exit (else the engine need not call it)."""
        return self.owner.reads_price

    def stretch(self, bar: int) -> np.ndarray:
        """The exit on the closes from ``bar`` to the end of the stretch evaluated there,
        at once (the engine's compiled walk reads it so, ``engine._scaling``)."""
        while bar >= self.stop:
            self._extend()
        return self.row[bar - self.start :]

    def split(self, bar: int, ratio: float) -> None:
        """A split of ``ratio`` at ``bar``'s open (``engine.corporate``): the entry price is
        divided by it, so the returns read on the closes after it go on from those before
        (each read at the entry price of its own bar, their best kept), and the exit is
        computed again from ``bar``."""
        self.reprice(bar, self.price / ratio)

    def reprice(self, bar: int, price: float) -> None:
        """The entry price becomes ``price`` from ``bar``'s close on (a scaled long whose
        units changed at that bar: their share-weighted average entry, ``engine._scaling``):
        the returns read on the closes before it, each at the price then, keep their best,
        and the exit is computed again from ``bar``."""
        before = self._open_return(self.anchor, bar)
        self.settled = float(np.max(np.append(before, self.settled)))
        self.best = self.settled
        self.anchor = bar
        self.price = price
        self.start = self.stop = bar
        self.values = []
        self.row = self.row[:0]

    def _extend(self) -> None:
        start = self.stop
        stop = min(start + self.size, self.owner.n_bars)
        self.size *= 2
        with np.errstate(all="ignore"):
            values = self._value(start, stop)
        self.start, self.stop = start, stop
        stretch = np.asarray(values, dtype=bool)
        if stretch.shape != (stop - start,):  # a number: the same on every bar
            stretch = np.broadcast_to(stretch, (stop - start,))
        self.row = stretch
        self.values = stretch.tolist()  # read a bar at a time: list items, not numpy scalars

    def _open_return(self, start: int, stop: int) -> np.ndarray:
        close = self.owner.close[start:stop]
        if self.side > 0:
            return 100.0 * (close / self.price - 1.0)
        return 100.0 * (1.0 - close / self.price)  # a short's (the walk asks for longs)

    def _series(self, name: str, start: int, stop: int, memo: dict) -> np.ndarray:
        if name == "bars_held":
            return np.arange(start - self.first, stop - self.first, dtype=np.float64)
        if name == "entry_price":
            return np.full(stop - start, self.price)
        returns = memo.get("open_return")
        if returns is None:
            returns = memo["open_return"] = self._open_return(start, stop)
        if name == "open_return":
            return returns
        assert name == "max_open_return"
        best = np.maximum.accumulate(np.maximum(returns, self.best))
        if best.size:
            self.best = best[-1]
        return best

    def _value(self, start: int, stop: int) -> np.ndarray:
        memo: dict[str, np.ndarray] = {}

        def series(name: str) -> np.ndarray:
            out = memo.get(name)
            if out is None:  # once a name: max_open_return carries its best forward
                out = memo[name] = self._series(name, start, stop, memo)
            return out

        return self.owner.value(start, stop, series)


Residual = Callable[[int, int, Callable[[str], np.ndarray]], np.ndarray]
"""A residual tree resolved (``residual``): called with (start, stop, series), its value on
bars ``start:stop``."""


def residual(node: Node, parts: Mapping[Node, np.ndarray]) -> Residual:
    """The residual ``node`` as a function of (start, stop, series): on bars ``start:stop``,
    its position-free ``parts`` (``leaves``: T values, or 1 for a number) sliced there, its
    walked series from ``series(name)`` (which returns one array per name and evaluation),
    joined by its operators and element-wise functions. The tree is resolved once, so an
    evaluation looks no node up (a node's hash walks its whole sub-tree)."""
    if isinstance(node, Walked):
        name = node.name
        return lambda start, stop, series: series(name)
    leaf = parts.get(node)
    if leaf is not None:
        if leaf.shape[0] == 1:
            return lambda start, stop, series: leaf
        return lambda start, stop, series: leaf[start:stop]
    if isinstance(node, Unary):
        arg = residual(node.arg, parts)
        unary = np.logical_not if node.op == "not" else np.negative
        return lambda start, stop, series: unary(arg(start, stop, series))
    if isinstance(node, Binary):
        left, right, op = residual(node.left, parts), residual(node.right, parts), node.op
        return lambda start, stop, series: _binary(
            op, left(start, stop, series), right(start, stop, series)
        )
    assert isinstance(node, Call) and node.function in ELEMENTWISE
    args, function = [residual(arg, parts) for arg in node.args], ELEMENTWISE[node.function]
    return lambda start, stop, series: function(*[arg(start, stop, series) for arg in args])


class PositionExit:
    """One run's position-aware exit, what ``engine.run``'s ``position_exit`` takes:
    ``self(side, fill_bar, entry_price)`` returns the exit of the position opened then, a
    function of a bar (>= fill_bar) giving whether the exit holds on its close.

    ``leaves`` maps each position-free sub-tree of the exit (``leaves``) to its values on
    the run's bars (T, or 1 for a number); ``close`` holds the run's closes. ``program``:
    the same exit as the engine's step evaluates it, reading the long's series from its own
    state (``engine.broker.program.ExitProgram``), None when it has none.
    """

    def __init__(self, tree: Node, leaves: Mapping[Node, np.ndarray], close: np.ndarray) -> None:
        self.tree = tree
        self.leaves = dict(leaves)
        self.value = residual(tree, self.leaves)
        self.close = np.asarray(close, dtype=np.float64)
        self.n_bars = len(self.close)
        self.reads_price = any(isinstance(n, Walked) and n.name in PRICED for n in walk(tree))
        """Whether the exit reads the entry price (a ``reprice`` can change it)."""
        from rules.expr.flat import exit_program  # loads the engine: a run's, not a check's

        self.program = exit_program(tree, self.leaves, self.close)

    def __call__(self, side: float, fill_bar: int, entry_price: float) -> Callable[[int], bool]:
        return _Held(self, side, fill_bar, entry_price)


def position_exits(
    program: Program,
    bars: Bars,
    rows: list[dict],
    cache: dict,
    window: slice,
    others: Mapping[str, Bars] | None = None,
    close: np.ndarray | None = None,
) -> list[PositionExit]:
    """One ``PositionExit`` per parameter set of ``rows`` (validated params of the EXPR
    rule): the position-free parts of the exit computed on ``bars`` (the signal history,
    with the same ``cache`` as its signals) and cut to ``window``, the bars the run trades.
    ``close``: the closes the position's returns are read on, as traded (None: those of
    ``bars`` in ``window``; a run on adjusted prices gives its traded ones, the prices its
    entries fill at)."""
    batch = _Batch(bars, rows, cache, others_of(bars) if others is None else others)
    parts = {leaf: batch.value(leaf) for leaf in leaves(program.exit)}
    if close is None:
        close = np.asarray(bars.close, dtype=np.float64)[window]
    n_bars = len(bars)
    out = []
    for row in range(len(rows)):
        arrays = {}
        for leaf, (values, inv) in parts.items():
            line = values[inv[row]]
            arrays[leaf] = line[window] if line.shape[0] == n_bars else line
        out.append(PositionExit(program.exit, arrays, close))
    return out
