"""What the run page draws for an expression: its price-scale indicators over the candles
(``sma ema bb_* highest lowest vwap`` of price series) and its oscillators in panels of
their own (RSI, stochastic, ADX/±DI, MACD, ATR, ROC, z-score, stdev, OBV), with the numbers
they are compared with as the panel's levels. Each line is labelled with its call as
written, its ``$names`` replaced by their values ("rsi(close, 2)"). The calls inside ``ref``
and ``tf`` run on other bars (another ticker's, a higher timeframe's) and are not drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules._validate import format_number
from rules.expr import tree
from rules.expr.check import checked
from rules.expr.functions import OTHER_BARS
from rules.expr.parse import parse
from rules.expr.tree import COMPARISONS, Binary, Call, Column, Node, Number, Param, Unary, walk
from rules.spec import Panel

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

PRICE = ("sma", "ema", "bb_mid", "bb_upper", "bb_lower", "highest", "lowest", "vwap")
"""Functions whose line is on the scale of their series (drawn over the candles when that
series is a price)."""

PRICE_COLUMNS = ("open", "high", "low", "close")

PANELS: dict[str, tuple[str, str, str, tuple[float, float] | None]] = {
    "rsi": ("rsi", "RSI", "", (0, 100)),
    "stoch_k": ("stoch", "Stochastic", "", (0, 100)),
    "stoch_d": ("stoch", "Stochastic", "", (0, 100)),
    "adx": ("adx", "ADX", "", (0, 100)),
    "plus_di": ("adx", "ADX", "", (0, 100)),
    "minus_di": ("adx", "ADX", "", (0, 100)),
    "macd": ("macd", "MACD", "price", None),
    "macd_signal": ("macd", "MACD", "price", None),
    "macd_hist": ("macd", "MACD", "price", None),
    "atr": ("atr", "ATR", "price", None),
    "roc": ("roc", "ROC", "%", None),
    "zscore": ("zscore", "z-score", "σ", None),
    "stdev": ("stdev", "Standard deviation", "", None),
    "obv": ("obv", "OBV", "shares", None),
}
"""Oscillator functions: (panel key, title, unit, fixed axis)."""


def render(node: Node, params: dict) -> str:
    """The text of a node with each ``$name`` replaced by its value."""
    if isinstance(node, Number):
        return format_number(node.value)
    if isinstance(node, Param):
        return format_number(params[node.name])
    if isinstance(node, Column):
        return node.name
    if isinstance(node, tree.Text):
        return f'"{node.value}"'
    if isinstance(node, Call):
        return f"{node.function}({', '.join(render(a, params) for a in node.args)})"
    if isinstance(node, Unary):
        space = " " if node.op == "not" else ""
        return f"{node.op}{space}{_operand(node.arg, params)}"
    assert isinstance(node, Binary)
    return f"{_operand(node.left, params)} {node.op} {_operand(node.right, params)}"


def _operand(node: Node, params: dict) -> str:
    text = render(node, params)
    return f"({text})" if isinstance(node, Binary) else text


def _own(node: Node):
    """Every node of the tree computed on the run's own bars, parents first: ``walk``
    without descending into ``ref`` and ``tf``."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not (isinstance(current, Call) and current.function in OTHER_BARS):
            stack.extend(reversed(current.children()))


def _calls(params: dict) -> list[Call]:
    """Every distinct call of both texts on the run's own bars, in order of appearance."""
    seen: dict[Call, None] = {}
    for side in ("entry", "exit"):
        for node in _own(parse(params[side])):
            if isinstance(node, Call):
                seen.setdefault(node, None)
    return list(seen)


def _on_price(call: Call) -> bool:
    if call.function == "vwap":
        return True
    series = call.args[0]
    nodes = list(walk(series))
    columns = {n.name for n in nodes if isinstance(n, Column)}
    return (
        bool(columns)
        and columns <= set(PRICE_COLUMNS)
        and not any(isinstance(n, Call) and n.function not in PRICE for n in nodes)
    )


def _values(call: Call, bars: Bars, params: dict, cache: dict) -> np.ndarray:
    from rules.expr.evaluate import evaluate_series

    node = checked(call)
    return np.asarray(evaluate_series(node, bars, params, cache), dtype=np.float64)


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """{label: line} of the price-scale indicators of price series."""
    cache: dict = {}
    return {
        render(call, params): _values(call, bars, params, cache)
        for call in _calls(params)
        if call.function in PRICE and _on_price(call)
    }


def _levels(params: dict) -> dict[Call, list[float]]:
    """The numbers each oscillator call is compared with ($names at their values)."""
    out: dict[Call, list[float]] = {}
    for side in ("entry", "exit"):
        for node in _own(parse(params[side])):
            if not isinstance(node, Binary) or node.op not in COMPARISONS:
                continue
            for call, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(call, Call) and call.function in PANELS:
                    value = _number(other, params)
                    if value is not None:
                        out.setdefault(call, []).append(value)
    return out


def _number(node: Node, params: dict) -> float | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Param):
        return float(params[node.name])
    if isinstance(node, Unary) and node.op == "-":
        inner = _number(node.arg, params)
        return None if inner is None else -inner
    return None


def panels(bars: Bars, params: dict) -> list[Panel]:
    """One panel per oscillator kind (its calls as series, MACD histograms as bars), with
    the numbers they are compared with as levels."""
    cache: dict = {}
    levels = _levels(params)
    grouped: dict[str, dict] = {}
    for call in _calls(params):
        if call.function not in PANELS:
            continue
        key, title, unit, bounds = PANELS[call.function]
        panel = grouped.setdefault(
            key, {"title": title, "unit": unit, "bounds": bounds, "series": {}, "levels": []}
        )
        label = render(call, params)
        panel["series"][label] = _values(call, bars, params, cache)
        if call.function == "macd_hist":
            panel.setdefault("histograms", []).append(label)
        panel["levels"].extend(levels.get(call, []))
    return [
        Panel(
            key,
            spec["title"],
            spec["unit"],
            spec["series"],
            tuple(dict.fromkeys(spec["levels"])),
            tuple(spec.get("histograms", ())),
            spec["bounds"],
        )
        for key, spec in grouped.items()
    ]
