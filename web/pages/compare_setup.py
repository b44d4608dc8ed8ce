"""The compare page's setup rows: what each compared run was asked to do (ticker, rule, every
rule parameter, window, timeframe, capital, sizing, direction, fees, slippage and stops, and
the optional settings any of them sets: price adjustment, entry order, size expression,
scaling, further costs, the close at the end), one row per setting, each value as the page
writes it, and whether the runs differ on it.

Pure: takes the runs' stored requests (``request_json``, parsed), returns rows for the
template. A setting a request lacks (an older run, another rule's parameter) is written as
the em dash of ``web.pages.format``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.param_specs import EXIT_FRACTION, MAX_ENTRIES, TAKE_PROFIT_FRACTION
from web.pages.format import MISSING, format_number, is_number


@dataclass(frozen=True)
class SetupRow:
    """One setting across the compared runs: its label, each run's value (as text) and
    whether they are not all the same."""

    label: str
    values: tuple[str, ...]
    group: str

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


def _number(digits: int, unit: str = "") -> Callable[[Any], str]:
    return lambda value: format_number(value, digits, unit)


def _percent_of(value: Any) -> str:
    """A fraction (0.001) as a percent with up to 3 decimals ("0.1%")."""
    if not is_number(value):
        return MISSING
    return f"{value * 100:,.3f}".rstrip("0").rstrip(".") + "%"


def _stop(value: Any) -> str:
    """A stop in percent of the entry fill price, "off" when absent."""
    return "off" if value is None else format_number(value, 2, "%")


def _value(value: Any) -> str:
    """A rule parameter's value: a number without trailing zeros, anything else as JSON."""
    if value is None:
        return MISSING
    if is_number(value):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value, sort_keys=True, separators=(", ", ": "))


def _size(request: dict[str, Any]) -> str:
    size, kind = request.get("position_size"), request.get("size_type")
    if not is_number(size):
        return MISSING
    return format_number(size, 2, "%") if kind == "percent" else format_number(size, 0)


def _window(request: dict[str, Any]) -> str:
    start, end = request.get("start_date"), request.get("end_date")
    return f"{start or MISSING} → {end or MISSING}"


def _text(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda request: MISSING if request.get(key) is None else str(request[key])


def _field(key: str, write: Callable[[Any], str]) -> Callable[[dict[str, Any]], str]:
    return lambda request: write(request.get(key))


_RUN_ROWS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("Ticker", "market", _text("ticker")),
    ("Window", "market", _window),
    ("Timeframe", "market", _text("timeframe")),
    ("Rule", "rule", _text("rule_type")),
)
"""The rows before the rule parameters."""

_TRADING_ROWS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("Initial capital", "sizing", _field("initial_capital", _number(0))),
    ("Position size", "sizing", _size),
    ("Size type", "sizing", _text("size_type")),
    ("Direction", "sizing", _text("direction")),
    ("Fee rate", "costs", _field("fee_rate", _percent_of)),
    ("Slippage", "costs", _field("slippage_bps", _number(1, " bps"))),
    ("Stop-loss", "stops", _field("stop_loss_pct", _stop)),
    ("Take-profit", "stops", _field("take_profit_pct", _stop)),
    ("Trailing stop", "stops", _field("trailing_stop_pct", _stop)),
)
"""The rows after the rule parameters."""


def _or(default: str, write: Callable[[Any], str]) -> Callable[[Any], str]:
    """``write`` for a value, ``default`` (what the engine does without it) for None."""
    return lambda value: default if value is None else write(value)


def _given(params: Any) -> str:
    """A text's ``$name`` values, " (k=1.5, n=3)"; "" for none."""
    if not isinstance(params, dict) or not params:
        return ""
    return " (" + ", ".join(f"{name}={_value(params[name])}" for name in sorted(params)) + ")"


def _entry_order(order: Any) -> str:
    """An entry order as "limit close * 0.99 (k=1.5), 3 bars"."""
    if not isinstance(order, dict):
        return _value(order)
    prices = " / ".join(str(order[key]) for key in ("limit", "stop") if order.get(key))
    text = " ".join(part for part in (str(order.get("type", MISSING)), prices) if part)
    bars = order.get("valid_bars")
    return text + _given(order.get("params")) + ("" if bars is None else f", {bars} bars")


def _size_expr(size: Any) -> str:
    """A size expression as "0.01 * equity / atr(14) shares, at most 1000"."""
    if not isinstance(size, dict):
        return _value(size)
    text = f"{size.get('expr', MISSING)} {size.get('unit', 'fraction')}"
    cap = size.get("max_size")
    return text + _given(size.get("params")) + ("" if cap is None else f", at most {cap:g}")


_OPTIONAL_ROWS: tuple[tuple[str, str, str, Callable[[Any], str]], ...] = (
    ("Price adjustment", "market", "price_adjustment", _or("raw", str)),
    ("Entry order", "orders", "entry_order", _or("market", _entry_order)),
    ("Size expression", "sizing", "size_expr", _or("none", _size_expr)),
    ("Max entries", "scaling", MAX_ENTRIES.name, _or(_value(MAX_ENTRIES.default), _value)),
    ("Exit fraction", "scaling", EXIT_FRACTION.name, _or(_value(EXIT_FRACTION.default), _value)),
    (
        "Take-profit fraction",
        "scaling",
        TAKE_PROFIT_FRACTION.name,
        _or(_value(TAKE_PROFIT_FRACTION.default), _value),
    ),
    ("Fixed fee", "costs", "fee_fixed", _or("none", _number(2))),
    ("Fee per share", "costs", "fee_per_share", _or("none", _number(4))),
    ("Min per-share fee", "costs", "fee_min", _or("none", _number(2))),
    ("Max per-share fee", "costs", "fee_max", _or("none", _number(2))),
    ("Borrow rate", "costs", "borrow_rate", _or("none", _percent_of)),
    (
        "Close at end",
        "orders",
        "close_open_trades_at_end",
        _or("no", lambda on: "yes" if on else "no"),
    ),
    (
        "Exit priority",
        "orders",
        "exit_priority",
        _or("no", lambda on: "yes" if on else "no"),
    ),
)
"""The rows of settings a run may leave out (stored as no field at their default): shown
when any compared run sets one, each other run written as its default."""


def _param_names(requests: Sequence[dict[str, Any]]) -> list[str]:
    """Every rule parameter any run has, in the order they first appear."""
    names: dict[str, None] = {}
    for request in requests:
        params = request.get("params")
        if isinstance(params, dict):
            names.update(dict.fromkeys(params))
    return list(names)


def setup_rows(requests: Sequence[dict[str, Any]]) -> list[SetupRow]:
    """The setup rows of runs with these stored requests, in the page's order: market, rule,
    one row per rule parameter (``param.<name>``), sizing, costs, stops, then the optional
    settings any of them sets (entry order, size expression, scaling, further costs)."""

    def row(label: str, group: str, write: Callable[[dict[str, Any]], str]) -> SetupRow:
        return SetupRow(label, tuple(write(request) for request in requests), group)

    rows = [row(*spec) for spec in _RUN_ROWS]
    for name in _param_names(requests):
        rows.append(
            row(
                name,
                "params",
                lambda request, name=name: _value((request.get("params") or {}).get(name)),
            )
        )
    rows.extend(row(*spec) for spec in _TRADING_ROWS)
    for label, group, key, write in _OPTIONAL_ROWS:
        if any(request.get(key) is not None for request in requests):
            rows.append(row(label, group, _field(key, write)))
    return rows
