"""Text -> tree: the lark LALR parser over ``grammar.GRAMMAR``, then an iterative conversion
of lark's parse tree into ``tree`` nodes, with the size limits checked on the way (length
before parsing, depth and node count before converting), so that no text can exhaust the
stack or the clock."""

from __future__ import annotations

import unicodedata
from functools import cache

from rules.expr.errors import ExprError
from rules.expr.grammar import GRAMMAR, MAX_DEPTH, MAX_NAME, MAX_NODES, MAX_NUMBER, MAX_TEXT
from rules.expr.tree import Binary, Call, Column, Node, Number, Param, Text, Unary

COLUMNS = ("open", "high", "low", "close", "volume")
"""The bar series a text may name."""

_TOKEN_NAMES = {
    "CMP": "a comparison",
    "ADD": "'+' or '-'",
    "MUL": "'*' or '/'",
    "PARAM": "a $parameter",
    "NAME": "a name",
    "NUMBER": "a number",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "MINUS": "'-'",
    "AND": "'and'",
    "OR": "'or'",
    "NOT": "'not'",
    "$END": "the end",
}


@cache
def _parser():
    from lark import Lark  # imported on the first expression, not with the rules

    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def prepare_parser() -> None:
    """Import lark and build the parser now instead of at the first expression (about
    0.05 CPU-s): a kind whose items are mostly expressions (a portfolio's ranking) does it
    while it is loaded, before its Job claims an item."""
    _parser()


def parse(text: object) -> Node:
    """The tree of one expression text.

    :raise ExprError: for a text that is not a string, is empty or too long, does not
        follow the grammar, nests too deep or holds too many nodes, or writes a number
        beyond ``MAX_NUMBER``; with the line and column of the culprit.
    """
    if not isinstance(text, str):
        raise ExprError("must be a string (an expression)")
    if len(text) > MAX_TEXT:
        raise ExprError(f"is {len(text):,} characters long; at most {MAX_TEXT:,}")
    if not text.strip():
        raise ExprError("is empty; write a condition such as close > sma(close, 20)")
    multiline = "\n" in text.strip()
    from lark.exceptions import UnexpectedInput

    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc, multiline) from None
    return _convert(tree, multiline)


def _syntax_error(text: str, exc, multiline: bool) -> ExprError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line, column = getattr(exc, "line", 1), getattr(exc, "column", 1)
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        return ExprError(_character_message(char), line, column, multiline)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            line, column = _end_position(text)
            return ExprError(f"ends too early (expected {_expected(exc)})", line, column, multiline)
        shown = str(token)[:20]
        return ExprError(
            f"unexpected {shown!r} (expected {_expected(exc)})", line, column, multiline
        )
    if isinstance(exc, UnexpectedEOF):
        line, column = _end_position(text)
        return ExprError("ends too early", line, column, multiline)
    return ExprError("is not a valid expression", line, column, multiline)


def _end_position(text: str) -> tuple[int, int]:
    body = text.rstrip()
    lines = body.split("\n")
    return len(lines), len(lines[-1]) + 1


_UNLISTED = ("STRING",)
"""Tokens left out of "expected …": a quoted text fits only ref's ticker and tf's timeframe."""


def _expected(exc) -> str:
    shown = [name for name in exc.expected if name not in _UNLISTED]
    names = sorted({_TOKEN_NAMES.get(name, name.lower()) for name in shown})
    return ", ".join(names[:6]) if names else "something else"


def _character_message(char: str) -> str:
    if not char:
        return "unexpected end of text"
    if ord(char) > 127:
        name = unicodedata.name(char, "unknown")
        return (
            f"unexpected character {char!r} (U+{ord(char):04X} {name}); names and "
            "operators are plain ASCII"
        )
    if char == ".":
        return "unexpected '.' (there is no attribute access; a number is written 0.5)"
    return f"unexpected character {char!r}"


def _pos(item) -> tuple[int, int]:
    meta = getattr(item, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return meta.line, meta.column
    return getattr(item, "line", 1) or 1, getattr(item, "column", 1) or 1


def _check_size(tree, multiline: bool) -> None:
    """Depth and node count of lark's tree, iteratively (before the conversion recurses
    through nothing but a bounded tree)."""
    from lark import Tree

    stack = [(tree, 1)]
    count = 0
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Tree):
            continue
        count += 1
        if depth > MAX_DEPTH:
            line, column = _pos(item)
            raise ExprError(f"nests deeper than {MAX_DEPTH} levels", line, column, multiline)
        if count > MAX_NODES:
            line, column = _pos(item)
            raise ExprError(f"has more than {MAX_NODES} parts", line, column, multiline)
        stack.extend((child, depth + 1) for child in item.children)


def _convert(tree, multiline: bool) -> Node:
    """lark's tree -> our nodes, children first (an explicit stack: no recursion)."""
    from lark import Token, Tree

    if isinstance(tree, Token):  # a lone number, name or $parameter
        tree = Tree(_LEAF_RULES[tree.type], [tree])
    _check_size(tree, multiline)
    done: dict[int, Node] = {}
    stack = [(tree, False)]
    while stack:
        item, expanded = stack.pop()
        if not expanded:
            stack.append((item, True))
            stack.extend((c, False) for c in item.children if isinstance(c, Tree))
            continue
        done[id(item)] = _node(item, [_child(c, done) for c in item.children], multiline)
    return done[id(tree)]


_LEAF_RULES = {"NUMBER": "number", "PARAM": "param", "NAME": "name", "STRING": "string"}


def _child(item, done: dict[int, Node]):
    from lark import Tree

    return done[id(item)] if isinstance(item, Tree) else item


def _node(item, children: list, multiline: bool) -> Node:
    """One lark rule (its children converted already) as a node."""
    rule = str(item.data)
    line, column = _pos(item)
    pos = (line, column)
    if rule == "number":
        return _number(children[0], multiline)
    if rule == "param":
        name = str(children[0])[1:]
        _check_name(name, children[0], multiline, "$")
        return Param(name, pos=pos)
    if rule == "string":
        value = str(children[0])[1:-1]
        _check_name(value, children[0], multiline, '"', "text")
        return Text(value, pos=pos)
    if rule == "name":
        name = str(children[0])
        _check_name(name, children[0], multiline)
        return Column(name, pos=pos)  # checked against COLUMNS by rules.expr.check
    if rule == "call":
        name = str(children[0])
        _check_name(name, children[0], multiline)
        args = children[1] if children[1] is not None else ()
        return Call(name, tuple(args), pos=pos)
    if rule == "arguments":
        return tuple(children)  # type: ignore[return-value]
    if rule == "minus":
        return Unary("-", children[0], pos=pos)
    if rule == "negation":
        return Unary("not", children[0], pos=pos)
    if rule in ("or_expr", "and_expr"):
        op = "or" if rule == "or_expr" else "and"
        node = children[0]
        for right in children[1:]:
            node = Binary(op, node, right, pos=pos)
        return node
    # comparison, sum, product: operands separated by operator tokens, left-associative
    node = children[0]
    for op, right in zip(children[1::2], children[2::2], strict=True):
        node = Binary(str(op), node, right, pos=(op.line, op.column))
    return node


def _check_name(name: str, token, multiline: bool, prefix: str = "", what: str = "name") -> None:
    if len(name) > MAX_NAME:
        raise ExprError(
            f"{what} {prefix}{name[:MAX_NAME]}… is longer than {MAX_NAME} characters",
            token.line,
            token.column,
            multiline,
        )


def _number(token, multiline: bool) -> Number:
    value = float(str(token))
    if not value <= MAX_NUMBER:  # also inf
        raise ExprError(
            f"number {str(token)[:20]} is beyond {MAX_NUMBER:g}",
            token.line,
            token.column,
            multiline,
        )
    return Number(value, pos=(token.line, token.column))
