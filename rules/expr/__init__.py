"""The strategy language of the EXPR rule: entry and exit conditions written as text
("close > sma(close, 200) and rsi(close, $n) < $low"), parsed with a grammar into a typed
tree, checked, and evaluated over numpy arrays by a whitelist of functions.

Safety by construction: the text goes through a lark LALR grammar (``grammar``) into frozen
nodes (``tree``); names resolve only through the table in ``functions``; evaluation
(``evaluate``) dispatches on node types. Nothing on the path evaluates, compiles or looks up
user text as Python. Bounds on text length, nesting depth, node count, windows and numbers
keep every accepted expression cheap.

``ref("TICKER", x)`` and ``tf("1w", x)`` compute x on other bars (another ticker's, attached
to the run's bars by the edge through ``market``; the run's bars in calendar periods,
``frames``) and show each bar only what was known at its close.

Public surface::

    from rules.expr import ExprError, Program, compile_program
    from rules.expr.evaluate import evaluate_batch
    from rules.expr.lookback import warmup
    from rules.expr.market import attach

The three names load their modules on first use (as ``data``'s lazy names do): every
process imports the rule library, and most runs never parse an expression, so a Job that
runs a built-in rule does not pay for the parser, checker and tree.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from rules.expr.check import Program, compile_program
    from rules.expr.errors import ExprError

_HOMES = {
    "ExprError": "rules.expr.errors",
    "Program": "rules.expr.check",
    "compile_program": "rules.expr.check",
}
"""The module each public name lives in."""

__all__ = ["ExprError", "Program", "compile_program"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
