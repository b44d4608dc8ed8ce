"""A size series or a position-aware exit as a flat program the broker's compiled step
evaluates itself, bar by bar, with no return to Python (docs/execution.md, "Position size as
an expression" and "Position-aware exits").

The language (``rules.expr``) hands the engine the part of an expression that names a series
known only in the walk (``equity``, the open long's ``bars_held``, ``entry_price``,
``open_return``, ``max_open_return``) as postfix code over a stack of floats: each
instruction is (opcode, argument); ``PUSH_LEAF`` pushes row ``argument`` of ``leaves`` (the
expression's walk-free parts, one value a bar) at the bar, ``PUSH_CONST`` a constant,
``PUSH_SERIES`` one of the walk's series (``SERIES``); the others pop their operands and
push their result. A condition is 1.0 (true) or 0.0 (false).

Only operations whose scalar result is bit-identical to numpy's element-wise one are
opcodes: + - * / (IEEE, division by zero giving ±inf or NaN as numpy's), the comparisons
(``!=`` false when an operand is undefined, as the language's), and/or/not, negation,
``abs``, ``sqrt`` (correctly rounded; NaN below 0) and ``min``/``max`` (NaN when either
operand is, the second operand when they are equal, as numpy's ``minimum``/``maximum``).
An expression using any other function (``log``...) has no program: the step asks its
Python callable for it (``engine.broker.step.walk_run``).

``evaluate`` and the position series' arithmetic (``open_return``, ``running_max``) are
plain Python here, compiled once with the step by ``engine.broker.jitted``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

PUSH_LEAF, PUSH_CONST, PUSH_SERIES = 0, 1, 2
NEG, NOT, ABS, SQRT = 3, 4, 5, 6
"""The unary opcodes (``SQRT`` is the last: every opcode above it is binary)."""
ADD, SUB, MUL, DIV = 7, 8, 9, 10
LT, LE, GT, GE, EQ, NE = 11, 12, 13, 14, 15, 16
AND, OR, MIN, MAX = 17, 18, 19, 20

SERIES = ("equity", "bars_held", "entry_price", "open_return", "max_open_return")
"""The walk's series by ``PUSH_SERIES`` argument."""
EQUITY, BARS_HELD, ENTRY_PRICE, OPEN_RETURN, MAX_OPEN_RETURN = range(len(SERIES))


@dataclass(frozen=True, eq=False)
class Program:
    """Postfix ``code`` (K × 2 int64: opcode, argument), its ``constants`` (float64) and
    ``leaves`` (L × T float64: row l is leaf l on each of the run's T bars)."""

    code: np.ndarray
    constants: np.ndarray
    leaves: np.ndarray

    def __post_init__(self) -> None:
        code = np.ascontiguousarray(self.code, dtype=np.int64).reshape(-1, 2)
        leaves = np.ascontiguousarray(self.leaves, dtype=np.float64)
        if not len(code) or leaves.ndim != 2:
            raise ValueError("a program needs code, and its leaves one row each")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "constants", np.ascontiguousarray(self.constants, np.float64))
        object.__setattr__(self, "leaves", leaves)

    def covers(self, n_bars: int) -> bool:
        """Whether its leaves give a value on each of ``n_bars`` bars."""
        return self.leaves.shape[0] == 0 or self.leaves.shape[1] == n_bars


@dataclass(frozen=True, eq=False)
class SizeProgram(Program):
    """A size series (``engine._simulate.Sizer``) as a program over ``equity``: its value on
    a signal bar, times ``scale`` on that bar when given (empty: none), NaN when not
    finite."""

    scale: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "scale", np.ascontiguousarray(self.scale, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class ExitProgram(Program):
    """A position-aware exit (``engine._simulate.PositionExit``) as a condition over the
    open long's series, whose returns are read on ``close`` (the run's closes as traded)."""

    close: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "close", np.ascontiguousarray(self.close, dtype=np.float64))


def evaluate(
    code: np.ndarray,
    constants: np.ndarray,
    leaves: np.ndarray,
    bar: int,
    series: np.ndarray,
    stack: np.ndarray,
) -> float:
    """The program's value on ``bar`` with the walk's ``series`` (``SERIES``' order) then;
    ``stack`` holds at least one float per instruction."""
    top = -1
    for i in range(code.shape[0]):
        op, arg = code[i, 0], code[i, 1]
        if op == PUSH_LEAF:
            top += 1
            stack[top] = leaves[arg, bar]
        elif op == PUSH_CONST:
            top += 1
            stack[top] = constants[arg]
        elif op == PUSH_SERIES:
            top += 1
            stack[top] = series[arg]
        elif op <= SQRT:
            stack[top] = unary(op, stack[top])
        else:
            top -= 1
            stack[top] = binary(op, stack[top], stack[top + 1])
    return stack[top]


def unary(op: int, x: float) -> float:
    if op == NEG:
        return -x
    if op == NOT:
        return 1.0 if x == 0.0 else 0.0
    if op == ABS:
        return abs(x)
    return np.sqrt(x)


def binary(op: int, a: float, b: float) -> float:
    if op == ADD:
        return a + b
    if op == SUB:
        return a - b
    if op == MUL:
        return a * b
    if op == DIV:
        return a / b
    if op == MIN:
        return a if (a < b or a != a) else b
    if op == MAX:
        return a if (a > b or a != a) else b
    if op == LT:
        holds = a < b
    elif op == LE:
        holds = a <= b
    elif op == GT:
        holds = a > b
    elif op == GE:
        holds = a >= b
    elif op == EQ:
        holds = a == b
    elif op == NE:
        holds = a < b or a > b
    elif op == AND:
        holds = a != 0.0 and b != 0.0
    else:
        holds = a != 0.0 or b != 0.0
    return 1.0 if holds else 0.0


def open_return(close: float, entry: float) -> float:
    """A long's return in percent at ``close`` from ``entry``
    (``rules.expr.position``'s ``open_return``)."""
    return 100.0 * (close / entry - 1.0)


def running_max(best: float, value: float) -> float:
    """``max_open_return``'s running best after ``value`` (numpy's ``maximum``: NaN once
    either is NaN)."""
    return best if (best > value or best != best) else value


def sized(value: float, scale: np.ndarray, bar: int) -> float:
    """A size program's ``value`` on ``bar`` as the size series gives it: times
    ``scale[bar]`` (when ``scale`` is given), NaN when not finite."""
    if scale.size > 0:
        value = value * scale[bar]
    return value if math.isfinite(value) else math.nan


def first_exit(
    code: np.ndarray,
    constants: np.ndarray,
    leaves: np.ndarray,
    series: np.ndarray,
    stack: np.ndarray,
    close: np.ndarray,
    bar: int,
    end: int,
    held_from: int,
    entry: float,
    best: float,
    reads: int,
) -> tuple:
    """(the first bar from ``bar`` before ``end`` on whose close an exit program holds,
    ``end`` for none; ``max_open_return``'s running best through that bar, or through the
    last) for a long whose units do not change on those bars: first filled on
    ``held_from``, at the share-weighted entry ``entry``, best return before ``bar``
    ``best``; ``reads``: the last series the program reads (``bars_held`` alone leaves the
    entry and returns uncomputed). The broker's step evaluates its exit programs only
    through it: one bar, or a stretch it skips (``engine.broker.step``)."""
    priced = reads >= ENTRY_PRICE
    if priced:
        series[ENTRY_PRICE] = entry
    while bar < end:
        series[BARS_HELD] = bar - held_from
        if priced:
            now = open_return(close[bar], entry)
            best = running_max(best, now)
            series[OPEN_RETURN], series[MAX_OPEN_RETURN] = now, best
        if evaluate(code, constants, leaves, bar, series, stack) != 0.0:
            return bar, best
        bar += 1
    return bar, best


ARITHMETIC = (evaluate, unary, binary, open_return, running_max, sized)
"""The functions ``engine.broker.jitted`` compiles (``evaluate`` calls the next two);
``first_exit`` is compiled with them inlined."""
