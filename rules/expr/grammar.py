"""The grammar of the strategy language, as data (a lark LALR grammar), and its size limits.

Precedence, loosest first: ``or``; ``and``; ``not``; one comparison (``< <= > >= == !=``,
not chained); ``+ -``; ``* /``; unary ``-``; then numbers, ``$parameters``, quoted texts
(``"DEMOIX"``, ``'1w'``: only a ticker of ``ref`` or a timeframe of ``tf`` may be one), names,
calls ``f(a, b)`` and parentheses. Names and keywords are ASCII; anything else is a lexing
error at its column.
"""

from __future__ import annotations

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr ("or" and_expr)*
?and_expr: not_expr ("and" not_expr)*
?not_expr: "not" not_expr -> negation
         | comparison
?comparison: sum (CMP sum)?
?sum: product (ADD product)*
?product: unary (MUL unary)*
?unary: "-" unary -> minus
      | atom
?atom: NUMBER -> number
     | PARAM -> param
     | STRING -> string
     | NAME "(" [arguments] ")" -> call
     | NAME -> name
     | "(" or_expr ")"
arguments: or_expr ("," or_expr)*

CMP: "<=" | ">=" | "==" | "!=" | "<" | ">"
ADD: "+" | "-"
MUL: "*" | "/"
PARAM: /\$[A-Za-z_][A-Za-z0-9_]*/
STRING: /"[^"\n]*"/ | /'[^'\n]*'/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
%ignore /[ \t\r\n]+/
"""

MAX_TEXT = 2_000
"""Characters in one expression text."""

MAX_DEPTH = 30
"""Nesting depth of the tree (parentheses, calls, operators)."""

MAX_NODES = 200
"""Nodes in one expression's tree."""

MAX_WINDOW = 2_000
"""The longest window or lag, in bars (about eight years of daily bars)."""

MAX_NUMBER = 1e12
"""The largest magnitude of a number written in a text or given to a ``$parameter``."""

MAX_NAME = 32
"""Characters in a name or a ``$parameter``'s name (and in a quoted text)."""

MAX_TICKERS = 4
"""Distinct other tickers one rule's texts may ``ref`` (each is a data file a run reads)."""
