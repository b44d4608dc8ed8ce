"""The PYTHON rule of a run request: a user's strategy module (``strategy_code``), the class
to run (``strategy_class``) and its class attributes (``params``), checked without running
anything (docs/strategies.md, "Running a strategy on the platform").

The code is only parsed (``sandbox.syntax_failure``: a syntax error is a 400 naming
``strategy_code`` with its line and column); it runs in the consumer's sandbox alone. The
fields a Python strategy decides itself (its sizes, stops, entry orders) or that its book
does not apply are refused when set, naming the field, rather than silently ignored.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from typing import Any

from work.errors import RequestError

RULE_TYPE = "PYTHON"

STRATEGY_CODE_MAX = 64 * 1024
"""The most characters of a strategy module's source text (a request is stored and queued)."""

PARAMS_MAX = 64
"""The most class attributes one request sets."""

TEXT_PARAM_MAX = 200
"""The longest string value of one class attribute."""

REFS_MAX = 16
"""The most other tickers one strategy may ``ref``."""

CLASS_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
"""A strategy class name (an ASCII identifier, at most 100 characters)."""

NOT_APPLIED = (
    "position_size",
    "size_type",
    "direction",
    "stop_loss_pct",
    "take_profit_pct",
    "trailing_stop_pct",
    "entry_order",
    "size_expr",
    "max_entries",
    "exit_fraction",
    "take_profit_fraction",
    "exit_priority",
)
"""Request fields a Python strategy cannot take: it sizes, directs and stops its own orders
(``self.buy(size=, sl=, tp=, limit=, stop=)``). Set to anything but their default, they are
a 400. The costs, ``borrow_rate``, ``price_adjustment`` and the ticker's corporate actions
are the book's, as for any rule."""


def is_python(rule_type: object) -> bool:
    """Whether a request's ``rule_type`` names the PYTHON rule (any case)."""
    return isinstance(rule_type, str) and rule_type.strip().upper() == RULE_TYPE


def check_code(code: object) -> str:
    """``strategy_code`` checked: a string within ``STRATEGY_CODE_MAX`` that parses.

    :raise RequestError: naming ``strategy_code`` (a syntax error with its line and column).
    """
    from sandbox import syntax_failure

    if code is None or code == "":
        raise RequestError("strategy_code", "is required for rule_type PYTHON")
    if not isinstance(code, str):
        raise RequestError("strategy_code", "must be the strategy module's source text")
    if len(code) > STRATEGY_CODE_MAX:
        raise RequestError(
            "strategy_code", f"is {len(code):,} characters; at most {STRATEGY_CODE_MAX:,}"
        )
    failure = syntax_failure(code)
    if failure is not None:
        raise RequestError("strategy_code", failure.message)
    return code


def check_class(name: object) -> str:
    """``strategy_class`` checked: an identifier.

    :raise RequestError: naming ``strategy_class``.
    """
    if name is None or name == "":
        raise RequestError("strategy_class", "is required for rule_type PYTHON")
    if not isinstance(name, str) or not CLASS_PATTERN.fullmatch(name):
        raise RequestError(
            "strategy_class", "must be a class name (A-Z a-z 0-9 _, not a digit first)"
        )
    return name


def check_refs(refs: object) -> list[str] | None:
    """``refs`` checked: null or a list of at most ``REFS_MAX`` ticker names (strings),
    stripped, upper-cased, without repeats, sorted; None when empty. Whether the catalog
    holds them is checked when the run's data loads (``kinds.runs.references``).

    :raise RequestError: naming ``refs``.
    """
    if refs is None:
        return None
    if not isinstance(refs, list) or not all(isinstance(t, str) and t.strip() for t in refs):
        raise RequestError("refs", "must be a list of catalog tickers")
    tickers = sorted({ticker.strip().upper() for ticker in refs})
    if len(tickers) > REFS_MAX:
        raise RequestError("refs", f"names {len(tickers)} tickers; at most {REFS_MAX}")
    return tickers or None


BOOK_SETTINGS = ("margin", "trade_on_close", "hedging", "exclusive_orders")
"""The book's settings a PYTHON request may set: backtesting.py's ``Backtest`` keywords of
those names (docs/strategies.md, "Order semantics"): ``margin`` in (0, 1] (leverage
1/margin; null or 1: none), the others true or false (null or false: off)."""


def check_settings(payload: dict[str, Any]) -> dict[str, Any]:
    """The book settings of ``payload`` checked, as a ``RunRequest`` stores them: ``margin``
    a float in (0, 1], None when it is 1 or absent (so that ``margin: 1`` stores, queues and
    caches as a request without it); each other a boolean, False when absent.

    :raise RequestError: naming the field.
    """
    margin = payload.get("margin")
    if margin is not None:
        if isinstance(margin, bool) or not isinstance(margin, (int, float)):
            raise RequestError("margin", "must be a number in (0, 1]")
        if not (math.isfinite(margin) and 0 < margin <= 1):
            raise RequestError("margin", f"must be in (0, 1] (leverage 1/margin), is {margin}")
        margin = None if margin == 1 else float(margin)
    checked: dict[str, Any] = {"margin": margin}
    for name in BOOK_SETTINGS[1:]:
        value = payload.get(name)
        if value is not None and not isinstance(value, bool):
            raise RequestError(name, "must be true or false")
        checked[name] = bool(value)
    return checked


def book_settings(request: Any) -> dict[str, Any]:
    """The book keywords (``engine.broker.book.Book``) of a PYTHON ``RunRequest``: only
    those it sets, so that a request without them runs the book as before they existed."""
    settings: dict[str, Any] = {}
    if request.margin is not None:
        settings["margin"] = request.margin
    for name in BOOK_SETTINGS[1:]:
        if getattr(request, name):
            settings[name] = True
    return settings


def check_params(params: object) -> dict[str, Any]:
    """``params`` checked: null or an object of class attribute names (identifiers, not
    starting with ``_``) to JSON scalars (finite numbers, booleans, strings, null); in
    name order, so the same attributes always store the same bytes.

    :raise RequestError: naming ``params`` or ``params.<name>``.
    """
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise RequestError("params", "must be an object of the strategy's class attributes")
    if len(params) > PARAMS_MAX:
        raise RequestError("params", f"sets {len(params)} attributes; at most {PARAMS_MAX}")
    checked = {}
    for name in sorted(params):
        value = params[name]
        if not (isinstance(name, str) and name.isidentifier() and name.isascii()) or name[0] == "_":
            raise RequestError("params", f"{str(name)[:40]!r} is not a class attribute name")
        checked[name] = check_scalar(f"params.{name}", value)
    return checked


def check_scalar(field: str, value: Any) -> Any:
    """One class attribute's value checked: a finite number, a boolean, null or a string
    of at most ``TEXT_PARAM_MAX`` characters.

    :raise RequestError: naming ``field``.
    """
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RequestError(field, "must be a finite number")
        return value
    if isinstance(value, str) and len(value) <= TEXT_PARAM_MAX:
        return value
    raise RequestError(
        field, f"must be a number, true/false, null or a string of at most {TEXT_PARAM_MAX}"
    )


def unknown_attribute(code: str, class_name: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` (in order) that the class ``class_name`` of ``code`` does not
    define, read from its source without running it: the names its class body, and those
    of the module's own classes it derives from, assign; None when every name is defined,
    or when the source does not say (the class is not a plain top-level ``class``, or it
    derives from a class the module imports other than ``Strategy``), left to the run
    (backtesting.py's "Strategy ... is missing parameter")."""
    import ast

    classes = {node.name: node for node in ast.parse(code).body if isinstance(node, ast.ClassDef)}
    defined: set[str] = set()
    seen: set[str] = set()
    pending = [class_name]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        node = classes.get(name)
        if node is None:
            if name == "Strategy" and name != class_name:
                continue
            return None
        for base in node.bases:
            if not isinstance(base, ast.Name):
                return None
            pending.append(base.id)
        for item in node.body:
            targets = (
                item.targets
                if isinstance(item, ast.Assign)
                else [item.target]
                if isinstance(item, (ast.AnnAssign, ast.AugAssign))
                else []
            )
            defined.update(t.id for t in targets if isinstance(t, ast.Name))
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(item.name)
    return next((name for name in names if name not in defined), None)


def check_attributes(code: str, class_name: str, names: Iterable[str], prefix: str) -> None:
    """Refuse a name ``unknown_attribute`` finds.

    :raise RequestError: naming ``<prefix>.<name>``.
    """
    unknown = unknown_attribute(code, class_name, names)
    if unknown is not None:
        raise RequestError(
            f"{prefix}.{unknown}",
            f"is not a class attribute of {class_name}: a strategy's parameters are the "
            "class attributes its class body assigns",
        )


def check_applies(body: Any) -> None:
    """Refuse a field of ``NOT_APPLIED`` set to anything but its default.

    :raise RequestError: naming the field.
    """
    defaults = type(body).model_fields
    for name in NOT_APPLIED:
        value = getattr(body, name)
        if value != defaults[name].default:
            raise RequestError(
                name, "does not apply to rule_type PYTHON: the strategy's own orders decide it"
            )


def refuse_strategy_fields(payload: dict[str, Any]) -> None:
    """A request of another rule may not carry a strategy's fields.

    :raise RequestError: naming ``strategy_code``, ``strategy_class``, ``refs`` or a book
        setting (``BOOK_SETTINGS``).
    """
    for name in ("strategy_code", "strategy_class", "refs", *BOOK_SETTINGS):
        if payload.get(name) is not None:
            raise RequestError(name, "applies only to rule_type PYTHON")


def code_hash(code: str) -> str:
    """The sha256 (hex) of a strategy module's source text (UTF-8): a result's
    ``strategy_hash``."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def rule_id(class_name: str, code: str) -> str:
    """The default ``rule_id`` of a Python strategy: its class and its code's hash."""
    return f"python-{class_name.lower()}-{code_hash(code)[:12]}"


EXAMPLE_CLASS = "SmaCross"
EXAMPLE_CODE = """\
from backtest_strategy import Strategy
from backtest_strategy.lib import crossover
import pandas as pd


def SMA(values, n):
    return pd.Series(values).rolling(n).mean()


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        close = self.data.Close
        self.sma1 = self.I(SMA, close, self.n1)
        self.sma2 = self.I(SMA, close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()
"""
"""The strategy the run form's editor starts with (backtesting.py's quick start)."""


def json_schema_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    """PYTHON in a run request's JSON Schema: (``PYTHONParams``, the class attributes as
    ``check_params`` takes them; the ``if``/``then`` requiring ``strategy_code`` and
    ``strategy_class`` when ``rule_type`` is PYTHON)."""
    scalar = [
        {"type": "number"},
        {"type": "boolean"},
        {"type": "string", "maxLength": TEXT_PARAM_MAX},
        {"type": "null"},
    ]
    params = {
        "title": f"{RULE_TYPE}Params",
        "description": "the strategy class's attributes, as Backtest.run(**params) sets them",
        "type": "object",
        "maxProperties": PARAMS_MAX,
        "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
        "additionalProperties": {"anyOf": scalar},
    }
    part = {
        "if": {"properties": {"rule_type": {"const": RULE_TYPE}}, "required": ["rule_type"]},
        "then": {
            "required": ["strategy_code", "strategy_class"],
            "properties": {
                "params": {"anyOf": [{"$ref": f"#/$defs/{RULE_TYPE}Params"}, {"type": "null"}]},
                "strategy_code": {"type": "string", "minLength": 1, "maxLength": STRATEGY_CODE_MAX},
                "strategy_class": {"type": "string", "pattern": f"^{CLASS_PATTERN.pattern}$"},
                "refs": {
                    "anyOf": [
                        {"type": "array", "items": {"type": "string", "minLength": 1}},
                        {"type": "null"},
                    ]
                },
                "margin": {
                    "anyOf": [
                        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                        {"type": "null"},
                    ]
                },
                **{
                    name: {"anyOf": [{"type": "boolean"}, {"type": "null"}]}
                    for name in BOOK_SETTINGS[1:]
                },
            },
        },
    }
    return params, part


def describe() -> dict[str, Any]:
    """PYTHON as the run form lists a rule (``rules.registry.describe_rules``' keys), with
    ``python``: the editor's example, the code's cap and the fields it refuses."""
    return {
        "rule_type": RULE_TYPE,
        "description": "Your own strategy in Python: a backtest_strategy.Strategy subclass "
        "(backtesting.py's init/next API), run in a sandbox; params set its class attributes.",
        "params": [],
        "constraints": [],
        "language": None,
        "python": {
            "example_code": EXAMPLE_CODE,
            "example_class": EXAMPLE_CLASS,
            "code_max": STRATEGY_CODE_MAX,
            "not_applied": list(NOT_APPLIED),
        },
    }
