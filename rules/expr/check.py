"""Types and names of a parsed expression: series, numbers and conditions; every name
resolved against the columns and the function table (with "did you mean" for a near
miss); windows and lags whole and in range; ``$parameters`` collected with the use that
bounds them. The result is a ``Program``: the two checked trees (sugar rewritten), the
parameters in order of appearance and the constraints between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rules.expr.errors import ExprError
from rules.expr.frames import FRAMES
from rules.expr.functions import ELEMENTWISE, FUNCTIONS, Function
from rules.expr.grammar import MAX_TICKERS, MAX_WINDOW
from rules.expr.parse import COLUMNS, parse
from rules.expr.tree import (
    ARITHMETIC,
    COMPARISONS,
    LOGICAL,
    Binary,
    Call,
    Column,
    Equity,
    Node,
    Number,
    Param,
    Position,
    Text,
    Unary,
    Walked,
    walk,
)

NUMBER, SERIES, CONDITION = "number", "series", "condition"
"""The three types of the language."""

USES = ("window", "lag", "bars", "number")
"""How a ``$parameter`` is used, strictest first: a window (whole, >= 1), a lag (whole,
>= 0), a count of bars (compared with ``bars_held``, whose values are whole: searched as
an integer) or a plain number."""

WHOLE_POSITION = ("bars_held",)
"""The position series whose values are whole numbers: a ``$parameter`` compared with one
is a count of bars (``bars``)."""

RESERVED = ("entry", "exit", "bounds")
"""Names of EXPR's own params: no ``$parameter`` may take them."""

POSITION_NAMES = ("bars_held", "entry_price", "open_return", "max_open_return")
"""The series of the open position (docs/execution.md, "Position-aware exits"): only an
exit condition may name them, outside every function that reads past bars."""

EQUITY = "equity"
"""The run's equity at a bar's close: only a position size expression may name it
(docs/execution.md, "Position size as an expression")."""

POSITION_FUNCTIONS = tuple(name for name in ELEMENTWISE if not name.startswith("cross"))
"""The functions a position series or ``equity`` may be an argument of: the element-wise
ones that read bar t alone (a crossing reads bar t - 1 too)."""

_ARTICLE = {NUMBER: "a number", SERIES: "a series", CONDITION: "a condition"}


@dataclass(frozen=True)
class Program:
    """A checked entry and exit: trees ready for ``rules.expr.evaluate``; ``params`` maps
    each ``$name`` to its use (``USES``), in order of first appearance; ``constraints``
    are "fast < slow" pairs a MACD of two parameters needs."""

    entry: Node
    exit: Node
    params: dict[str, str] = field(hash=False)
    constraints: tuple[str, ...] = ()
    tickers: tuple[tuple[str, str], ...] = ()

    @property
    def position_exit(self) -> bool:
        """Whether the exit names a position series (``POSITION_NAMES``): the run then
        evaluates it in the engine's bar-by-bar walk (``rules.expr.position``)."""
        return uses_position(self.exit)


def uses_position(node: Node) -> bool:
    """Whether a checked tree names a position series."""
    return any(isinstance(n, Position) for n in walk(node))


def uses_walked(node: Node) -> bool:
    """Whether a checked tree names a series known only in the walk (a position series or
    ``equity``)."""
    return any(isinstance(n, Walked) for n in walk(node))


@dataclass
class _Scope:
    text: str
    multiline: bool
    params: dict[str, str]
    constraints: list[str]
    tickers: list[str] | None = None
    position: bool = False
    """Whether the position series may be named (an exit condition)."""
    equity: bool = False
    """Whether ``equity`` may be named (a position size expression)."""
    reading: str | None = None
    """The function with history whose arguments are being checked (None: none)."""

    def fail(self, node: Node, message: str) -> ExprError:
        return ExprError(message, node.pos[0], node.pos[1], self.multiline)


def check_text(
    text: object,
    params: dict[str, str],
    constraints: list[str],
    want: str = CONDITION,
    tickers: list[str] | None = None,
    position: bool = False,
    equity: bool = False,
) -> Node:
    """The checked tree of one text of type ``want``: a condition (EXPR's entry and exit,
    a portfolio's filter) or a series (a portfolio's score; a number is a constant series);
    adds its parameters' uses to ``params`` and its constraints to ``constraints``, and
    the tickers its ``ref`` calls read to ``tickers`` (None: ``ref`` is refused, for texts
    evaluated where no other ticker's bars are loaded). ``position``: the position series
    (``POSITION_NAMES``) may be named (an EXPR exit); ``equity``: ``EQUITY`` may be (a
    position size expression).

    :raise ExprError: for the first problem, with its position.
    """
    tree = parse(text)
    assert isinstance(text, str)
    scope = _Scope(text, "\n" in text.strip(), params, constraints, tickers, position, equity)
    node, kind = _check(tree, scope)
    if want == CONDITION and kind != CONDITION:
        raise scope.fail(
            tree,
            f"is {_ARTICLE[kind]}, not a condition (compare it: close > sma(close, 20))",
        )
    if want == SERIES and kind == CONDITION:
        raise scope.fail(
            tree, "is a condition, not a series (a score is a number per bar: roc(close, 126))"
        )
    return node


def checked(node: Node) -> Node:
    """A sub-tree of a checked text, checked alone (its sugar rewritten): what
    ``rules.expr.charts`` evaluates for one call of a text."""
    return _check(node, _Scope("", False, {}, [], []))[0]


@lru_cache(maxsize=256)
def compile_program(entry: str, exit: str) -> Program:
    """The ``Program`` of an entry and an exit text (cached: a sweep's combinations share
    their texts).

    :raise ExprError: with ``side`` set to "entry" or "exit".
    """
    params: dict[str, str] = {}
    constraints: list[str] = []
    trees, tickers = [], []
    for side, text in (("entry", entry), ("exit", exit)):
        read: list[str] = [ticker for _, ticker in tickers]
        try:
            trees.append(
                check_text(text, params, constraints, tickers=read, position=side == "exit")
            )
        except ExprError as exc:
            exc.side = side  # type: ignore[attr-defined]
            raise
        tickers += [(side, ticker) for ticker in read[len(tickers) :]]
    return Program(trees[0], trees[1], params, tuple(dict.fromkeys(constraints)), tuple(tickers))


def _suggest(name: str, options: list[str]) -> str:
    import difflib  # only on the error path

    hits = difflib.get_close_matches(name.lower(), options, 1, 0.6)
    return f" (did you mean {hits[0]}?)" if hits else ""


def _check(node: Node, scope: _Scope) -> tuple[Node, str]:
    if isinstance(node, Number):
        return node, NUMBER
    if isinstance(node, Param):
        _use(node, "number", scope)
        return node, NUMBER
    if isinstance(node, Walked):  # a sub-tree checked again (``checked``)
        return node, SERIES
    if isinstance(node, Column):
        return _column(node, scope), SERIES
    if isinstance(node, Text):
        raise scope.fail(
            node,
            f'a quoted text ("{node.value}") is only the ticker of ref or the timeframe of tf',
        )
    if isinstance(node, Unary):
        arg, kind = _check(node.arg, scope)
        if node.op == "not":
            _expect(node.arg, kind, (CONDITION,), scope, "'not' takes a condition")
            return Unary("not", arg, pos=node.pos), CONDITION
        _expect(node.arg, kind, (NUMBER, SERIES), scope, "'-' takes a number or a series")
        return Unary("-", arg, pos=node.pos), kind
    if isinstance(node, Binary):
        return _binary(node, scope)
    assert isinstance(node, Call)
    return _call(node, scope)


def _column(node: Column, scope: _Scope) -> Column | Walked:
    if node.name in COLUMNS:
        return node
    if node.name in POSITION_NAMES:
        if not scope.position:
            raise scope.fail(
                node,
                f"{node.name} is a series of the open position: only an exit condition may "
                "use it (bars_held >= 10)",
            )
        return _walked(Position(node.name, pos=node.pos), scope)
    if node.name == EQUITY:
        if not scope.equity:
            raise scope.fail(
                node,
                "equity is the run's equity at a bar's close: only a position size "
                "expression may use it (0.01 * equity / atr(14))",
            )
        return _walked(Equity(node.name, pos=node.pos), scope)
    if node.name in FUNCTIONS:
        function = FUNCTIONS[node.name]
        raise scope.fail(
            node, f"{node.name} is a function: write {node.name}({', '.join(function.names)})"
        )
    if node.name.startswith("_"):
        raise scope.fail(node, f"unknown name {node.name[:32]!r}")
    hint = _suggest(node.name, [*COLUMNS, *FUNCTIONS, *POSITION_NAMES, EQUITY])
    tail = hint or f" (series: {', '.join(COLUMNS)})"
    raise scope.fail(node, f"unknown name {node.name!r}{tail}")


def _walked(node: Walked, scope: _Scope) -> Walked:
    """A series known only in the walk, where it may be: not inside a function that reads
    past bars (the walk evaluates it bar by bar from the run's state)."""
    if scope.reading is not None:
        allowed = ", ".join(POSITION_FUNCTIONS)
        raise scope.fail(
            node,
            f"{node.name} cannot be read by {scope.reading}, which reads past bars; use it "
            f"in comparisons, arithmetic and {allowed}",
        )
    return node


def _expect(node: Node, kind: str, allowed: tuple[str, ...], scope: _Scope, what: str) -> None:
    if kind not in allowed:
        raise scope.fail(node, f"{what}, not {_ARTICLE[kind]}")


def _binary(node: Binary, scope: _Scope) -> tuple[Node, str]:
    left, lk = _check(node.left, scope)
    right, rk = _check(node.right, scope)
    out = Binary(node.op, left, right, pos=node.pos)
    if node.op in LOGICAL:
        _expect(node.left, lk, (CONDITION,), scope, f"'{node.op}' joins conditions")
        _expect(node.right, rk, (CONDITION,), scope, f"'{node.op}' joins conditions")
        return out, CONDITION
    what = "a comparison compares" if node.op in COMPARISONS else f"'{node.op}' takes"
    _expect(node.left, lk, (NUMBER, SERIES), scope, f"{what} numbers or series")
    _expect(node.right, rk, (NUMBER, SERIES), scope, f"{what} numbers or series")
    if node.op in COMPARISONS:
        _counts_bars(left, right, scope)
        _counts_bars(right, left, scope)
        return out, CONDITION
    assert node.op in ARITHMETIC
    return out, SERIES if SERIES in (lk, rk) else NUMBER


def _counts_bars(side: Node, other: Node, scope: _Scope) -> None:
    """A ``$parameter`` compared with a whole-valued position series (``bars_held >=
    $hold``) is a count of bars: its use becomes ``bars`` (an integer in sweeps and
    studies)."""
    if isinstance(side, Param) and isinstance(other, Position) and other.name in WHOLE_POSITION:
        _use(side, "bars", scope)


def _call(node: Call, scope: _Scope) -> tuple[Node, str]:
    function = FUNCTIONS.get(node.function)
    if function is None:
        if node.function in COLUMNS:
            raise scope.fail(node, f"{node.function} is a series, not a function")
        hint = "" if node.function.startswith("_") else _suggest(node.function, list(FUNCTIONS))
        raise scope.fail(node, f"unknown function {node.function[:32]!r}{hint}")
    given, most = len(node.args), len(function.args)
    least = most - function.optional
    if not least <= given <= most:
        count = f"{least} to {most}" if least != most else str(most)
        plural = "" if most == 1 and least == most else "s"
        names = ", ".join(function.names)
        raise scope.fail(
            node, f"{function.name} takes {count} argument{plural} ({names}), got {given}"
        )
    args: list[Node] = []
    kinds: list[str] = []
    outer = scope.reading
    if function.name not in POSITION_FUNCTIONS and outer is None:
        scope.reading = function.name
    try:
        for index, (arg, kind) in enumerate(zip(node.args, function.args, strict=False)):
            _argument(function, index, arg, kind, scope, args, kinds)
    finally:
        scope.reading = outer
    if function.name == "macd":
        _fast_slow(node, args[1], args[2], scope)
    if function.name in ("macd_signal", "macd_hist"):
        _fast_slow(node, args[1], args[2], scope)
    return _desugar(function, args, node), _result(function, kinds)


def _argument(
    function: Function,
    index: int,
    arg: Node,
    kind: str,
    scope: _Scope,
    args: list[Node],
    kinds: list[str],
) -> None:
    """Check argument ``index`` of a call, appending its tree and type to ``args``, ``kinds``."""
    label = f"{function.name}: argument {index + 1} ({function.names[index]})"
    if kind in ("window", "lag"):
        args.append(_whole(arg, kind, label, scope))
        kinds.append(NUMBER)
        return
    if kind in ("ticker", "timeframe"):
        args.append(_quoted(arg, kind, label, scope))
        kinds.append(NUMBER)
        return
    checked, got = _check(arg, scope)
    allowed = {
        "series": (SERIES,),
        "value": (SERIES, NUMBER),
        "number": (NUMBER,),
        "any": (SERIES, CONDITION),
    }[kind]
    _expect(arg, got, allowed, scope, f"{label} must be {' or '.join(map(_ARTICLE.get, allowed))}")
    args.append(checked)
    kinds.append(got)


def _result(function: Function, kinds: list[str]) -> str:
    if function.result == "same":
        return kinds[0]
    if function.result == "value":
        return SERIES if SERIES in kinds else NUMBER
    return function.result


def _whole(arg: Node, kind: str, label: str, scope: _Scope) -> Node:
    """A window or lag argument: a whole-number constant in range, or a $parameter."""
    low = 1 if kind == "window" else 0
    if isinstance(arg, Param):
        _use(arg, kind, scope)
        return arg
    if isinstance(arg, Number):
        value = arg.value
        if value != int(value) or not low <= value <= MAX_WINDOW:
            raise scope.fail(
                arg, f"{label} must be a whole number from {low} to {MAX_WINDOW:,} (got {value:g})"
            )
        return Number(float(int(value)), pos=arg.pos)
    raise scope.fail(
        arg, f"{label} must be a whole number from {low} to {MAX_WINDOW:,} or a $parameter"
    )


def _quoted(arg: Node, kind: str, label: str, scope: _Scope) -> Text:
    """ref's ticker or tf's timeframe: a quoted text, never computed (no dynamic tickers)."""
    if kind == "timeframe":
        frames = ", ".join(f'"{frame}"' for frame in FRAMES)
        if not isinstance(arg, Text) or arg.value not in FRAMES:
            got = f' (got "{arg.value}")' if isinstance(arg, Text) else ""
            raise scope.fail(arg, f"{label} must be one of {frames}{got}")
        return arg
    if not isinstance(arg, Text) or not arg.value.strip():
        raise scope.fail(arg, f'{label} must be a quoted catalog ticker such as "DEMOIX"')
    if scope.tickers is None:
        raise scope.fail(arg, "ref is not available here: this text reads its own bars only")
    if arg.value not in scope.tickers:
        if len(scope.tickers) >= MAX_TICKERS:
            raise scope.fail(arg, f"ref reads at most {MAX_TICKERS} other tickers")
        scope.tickers.append(arg.value)
    return arg


def _fast_slow(node: Call, fast: Node, slow: Node, scope: _Scope) -> None:
    if isinstance(fast, Number) and isinstance(slow, Number) and fast.value >= slow.value:
        raise scope.fail(
            node, f"{node.function}: fast ({fast.value:g}) must be less than slow ({slow.value:g})"
        )
    if isinstance(fast, Param) and isinstance(slow, Param):
        if fast.name == slow.name:
            raise scope.fail(node, f"{node.function}: fast and slow are the same ${fast.name}")
        scope.constraints.append(f"{fast.name} < {slow.name}")


def _use(param: Param, use: str, scope: _Scope) -> None:
    name = param.name
    if name.startswith("_") or not name[0].isalpha():
        raise scope.fail(param, f"${name[:32]} is not a parameter name (start with a letter)")
    if name.lower() in RESERVED:
        raise scope.fail(param, f"${name} is reserved (entry, exit and bounds are EXPR's own)")
    known = scope.params.get(name)
    if known is None or USES.index(use) < USES.index(known):
        scope.params[name] = use


def _desugar(function: Function, args: list[Node], node: Call) -> Node:
    pos = node.pos
    name = function.name
    if name == "bb_mid":
        return Call("sma", (args[0], args[1]), pos=pos)
    if name in ("bb_upper", "bb_lower"):
        mid = Call("sma", (args[0], args[1]), pos=pos)
        width = Binary("*", args[2], Call("stdev", (args[0], args[1]), pos=pos), pos=pos)
        return Binary("+" if name == "bb_upper" else "-", mid, width, pos=pos)
    if name in ("macd_signal", "macd_hist"):
        line = Call("macd", (args[0], args[1], args[2]), pos=pos)
        signal = Call("ema", (line, args[3]), pos=pos)
        return signal if name == "macd_signal" else Binary("-", line, signal, pos=pos)
    return Call(name, tuple(args), pos=pos)
