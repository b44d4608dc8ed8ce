"""The strategy language's reference as data, built from the code's own tables (the
function whitelist, the bar series, the size limits), so the dashboard's editors show what
the server accepts and cannot drift from it: ``reference()`` is the ``language`` entry of
EXPR in ``GET /api/rules``.

The operators and the examples are written here; a test parses every operator and
validates every example through the EXPR rule.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rules.expr.check import EQUITY, POSITION_FUNCTIONS
from rules.expr.functions import FUNCTIONS, Function
from rules.expr.grammar import (
    MAX_DEPTH,
    MAX_NAME,
    MAX_NODES,
    MAX_NUMBER,
    MAX_TEXT,
    MAX_TICKERS,
    MAX_WINDOW,
)
from rules.expr.parse import COLUMNS

OPERATORS: tuple[tuple[str, str], ...] = (
    ("or", "a or b: either condition holds"),
    ("and", "a and b: both conditions hold"),
    ("not", "not a: the condition does not hold (an undefined comparison is false)"),
    ("< <= > >= == !=", "compare two numbers or series (one comparison per level)"),
    ("+ -", "add, subtract"),
    ("* /", "multiply, divide"),
    ("-x", "negate"),
    ("( )", "group"),
)
"""Operators, loosest binding first (``rules.expr.grammar``), with what they do."""

POSITION_SERIES: dict[str, str] = {
    "bars_held": "closes since the long's entry filled (0 on the fill bar)",
    "entry_price": "the long's entry fill price, slippage included",
    "open_return": "the long's unrealised return in percent: 100 * (close / entry_price - 1)",
    "max_open_return": "the largest open_return since the entry",
}
"""The position series (``rules.expr.check.POSITION_NAMES``): exit conditions only, NaN
outside a long (docs/execution.md, "Position-aware exits")."""

EXAMPLES: tuple[dict[str, Any], ...] = (
    {
        "title": "Trend filter and RSI(2) dip",
        "entry": "close > sma(close, 200) and rsi(close, $n) < $low",
        "exit": "rsi(close, $n) > $high or close < lag(lowest(low, 20), 1)",
        "params": {"n": 2, "low": 10, "high": 90},
        "grid": {"n": "2:6:1"},
    },
    {
        "title": "Moving-average cross",
        "entry": "crossover(sma(close, $fast), sma(close, $slow))",
        "exit": "crossunder(sma(close, $fast), sma(close, $slow))",
        "params": {"fast": 10, "slow": 50},
        "grid": {"fast": "5:20:5", "slow": "30:90:20"},
    },
    {
        "title": "Bollinger bounce with a volume check",
        "entry": "crossover(close, bb_lower(close, $n, 2)) and volume > sma(volume, 20)",
        "exit": "close > bb_mid(close, $n) or close < lag(close, 1) - 2 * atr(14)",
        "params": {"n": 20},
        "grid": {"n": "10:40:5"},
    },
    {
        "title": "Market filter and weekly trend",
        "entry": 'close > sma(close, $n) and ref("DEMOIX", close) > ref("DEMOIX", sma(close, 200))',
        "exit": 'tf("1w", close) < tf("1w", sma(close, 10))',
        "params": {"n": 50},
        "grid": {"n": "20:100:20"},
    },
    {
        "title": "Time and profit exits",
        "entry": "crossover(close, sma(close, 50))",
        "exit": "bars_held >= $days or open_return >= $target",
        "params": {"days": 10, "target": 8},
        "grid": {"days": "5:30:5"},
    },
)
"""Click-to-insert examples: the texts, a value per ``$name`` (a run) and a grid (a sweep
or a walk-forward varies those ``$names``; the others keep ``params``)."""


def signature(function: Function) -> str:
    """``sma(x, n)``; optional arguments in brackets (``vwap([n])``)."""
    required = len(function.names) - function.optional
    names = [n if i < required else f"[{n}]" for i, n in enumerate(function.names)]
    return f"{function.name}({', '.join(names)})"


@cache
def _reference() -> dict[str, Any]:
    return {
        "functions": [
            {
                "name": f.name,
                "signature": signature(f),
                "args": [{"name": n, "kind": k} for n, k in zip(f.names, f.args, strict=True)],
                "result": f.result,
                "summary": f.summary,
            }
            for f in FUNCTIONS.values()
        ],
        "series": list(COLUMNS),
        "position_series": {
            "names": [{"name": n, "summary": d} for n, d in POSITION_SERIES.items()],
            "summary": "exit conditions only, in comparisons, arithmetic and "
            f"{', '.join(POSITION_FUNCTIONS)}; NaN outside a long",
        },
        "size_series": {
            "names": [{"name": EQUITY, "summary": "the run's equity at the signal bar's close"}],
            "summary": "a run's size_expr only, element-wise like the position series",
        },
        "operators": [{"syntax": s, "summary": d} for s, d in OPERATORS],
        "parameters": "$name takes the number params.name: a whole number when it is a window "
        "or a lag, else any number; params.bounds narrows its range, e.g. "
        '{"n": [2, 50]}',
        "limits": {
            "text": MAX_TEXT,
            "depth": MAX_DEPTH,
            "nodes": MAX_NODES,
            "window": MAX_WINDOW,
            "number": MAX_NUMBER,
            "name": MAX_NAME,
            "tickers": MAX_TICKERS,
        },
        "examples": [dict(example) for example in EXAMPLES],
    }


def reference() -> dict[str, Any]:
    """The language's reference: functions (name, signature, args, result, one-line
    summary), series, the position series of exit conditions, the series of a size
    expression, operators, the ``$name`` rule, limits and examples (JSON-ready)."""
    import copy

    return copy.deepcopy(_reference())
