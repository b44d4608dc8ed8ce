"""A parameter grid for bulk submission: ``--param`` values parsed and expanded into run
requests with the rule registry as ``GET /api/rules`` describes it.

``--param name=10:30:2`` is the inclusive range 10, 12, ..., 30; ``--param name=5,10`` a list
(choices too: ``operator=AND,OR``). A parameter applies to every selected rule that has it;
the rules' other parameters keep their registry defaults. A combination outside a
parameter's [min, max] or violating a rule constraint (``fast < slow``) is skipped and
counted, never sent.

EXPR ([rules.md](docs/rules.md)): ``--param entry=...`` and ``--param exit=...`` take the
whole text after ``=`` as one text (spaces, commas and parentheses kept: quote it for the
shell), ``--param bounds=...`` a JSON object; and a value written as JSON (starting with
``"``, ``[`` or ``{``) is read as JSON for any parameter: ``'entry=["close > 1", "close >
2"]'`` grids two texts, ``'bounds={"n": [2, 50]}'`` is one object. Every ``$name`` the given
texts use is a parameter of EXPR: ``--param n=2:6:1`` grids it (the server checks its
range).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kinds.sweeps.grid import Range, RangeError, is_range_text, parse_range

MAX_RANGE_VALUES = 10_000
"""A range that would expand to more values than this is refused (a typo, not a plan)."""


_RANGE_MESSAGES = {
    "parts": lambda exc: f"a range is start:stop:step, got {exc.text!r}",
    "number": lambda exc: f"{exc.text!r} is not a number",
    "finite": lambda exc: f"{exc.text!r} is not a finite number",
    "step": lambda exc: "the step must be greater than 0",
    "empty": lambda exc: "the stop {1} is below the start {0}".format(*exc.parts),
}
"""How the command line words each ``kinds.sweeps.grid.RangeError``."""


class GridError(ValueError):
    """A grid option cannot be used as given; the message says which and why."""


@dataclass(frozen=True)
class ParamValues:
    """One ``--param``: its name and either a range (``kinds.sweeps.grid.Range``) or a list of
    texts."""

    name: str
    items: tuple[str, ...] = ()
    range: Range | None = None
    raw: str = ""
    """The text after ``=`` as given (an expression text is taken whole)."""
    given: tuple[Any, ...] | None = None
    """The values of a JSON value (a list: its items; anything else: itself), else None."""

    @property
    def is_range(self) -> bool:
        return self.range is not None

    @property
    def start(self) -> Decimal | None:
        return self.range.start if self.range else None

    @property
    def stop(self) -> Decimal | None:
        return self.range.stop if self.range else None

    @property
    def step(self) -> Decimal | None:
        return self.range.step if self.range else None


@dataclass
class Grid:
    """Expanded requests and the skipped ones, counted by reason."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise GridError(f"{what}: {text.strip()!r} is not a number") from None
    if not value.is_finite():
        raise GridError(f"{what}: {text.strip()!r} is not a finite number")
    return value


def parse_param(text: str) -> ParamValues:
    """Parse one ``--param`` option.

    >>> parse_param("period=10:14:2").start
    Decimal('10')
    >>> parse_param("fast=5,10").items
    ('5', '10')
    """
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise GridError(f"--param {text!r}: use name=start:stop:step or name=v1,v2,...")
    if spec[0] in JSON_STARTS:
        try:
            value = json.loads(spec)
        except ValueError as exc:
            raise GridError(f"--param {name}: {spec[:60]!r} is not valid JSON ({exc})") from None
        given = tuple(value) if isinstance(value, list) else (value,)
        if not given:
            raise GridError(f"--param {name}: an empty list")
        return ParamValues(name, raw=spec, given=given)
    if is_range_text(spec):
        try:
            found = parse_range(spec)
        except RangeError as exc:
            raise GridError(f"--param {name}: {_RANGE_MESSAGES[exc.kind](exc)}") from None
        if found.more_than(MAX_RANGE_VALUES):
            raise GridError(f"--param {name}: {spec} has more than {MAX_RANGE_VALUES} values")
        return ParamValues(name, range=found, raw=spec)
    items = tuple(item.strip() for item in spec.split(","))
    if any(not item for item in items):
        raise GridError(f"--param {name}: empty value in {spec!r} (a text with one: as JSON)")
    return ParamValues(name, items=items, raw=spec)


JSON_STARTS = ('"', "[", "{")
"""A ``--param`` value starting so is read as JSON."""

WHOLE_TYPES = {"text": str, "bounds": dict}
"""Parameter types whose value is one JSON value (EXPR's texts and bounds), by type."""

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def merge_params(values: list[ParamValues]) -> dict[str, ParamValues]:
    """The ``--param`` options by name; naming one twice is an error."""
    merged: dict[str, ParamValues] = {}
    for value in values:
        if value.name in merged:
            raise GridError(f"--param {value.name} is given twice")
        merged[value.name] = value
    return merged


def _number(value: Decimal, kind: str, where: str) -> int | float:
    if kind == "number":  # an EXPR $name: the server checks its type and range
        return int(value) if value == value.to_integral_value() else float(value)
    if kind == "int":
        if value != value.to_integral_value():
            raise GridError(f"{where}: {value} is not an integer")
        return int(value)
    return float(value)


def typed_values(spec: dict[str, Any], values: ParamValues, rule_type: str) -> list[Any]:
    """The values of ``values`` typed for the parameter ``spec`` (from /api/rules)."""
    where = f"--param {values.name} ({rule_type})"
    kind = spec["type"]
    if kind in WHOLE_TYPES:
        wanted = WHOLE_TYPES[kind]
        given = values.given if values.given is not None else (values.raw,)
        if wanted is dict and values.given is None:
            raise GridError(f'{where}: give a JSON object, e.g. {values.name}={{"n": [2, 50]}}')
        if not all(isinstance(value, wanted) for value in given):
            what = "a text (a JSON string or list of strings)" if wanted is str else "JSON objects"
            raise GridError(f"{where}: takes {what}")
        return list(given)
    if values.given is not None:
        if kind == "choice" or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.given
        ):
            raise GridError(f"{where}: a JSON value here must be a list of numbers")
        return list(dict.fromkeys(_number(Decimal(str(v)), kind, where) for v in values.given))
    if kind == "rules":
        raise GridError(f"{where}: sub-rules cannot be gridded; use --input for COMPOSITE rules")
    if kind == "choice":
        if values.is_range:
            raise GridError(f"{where}: a choice takes a list, e.g. {values.name}=AND,OR")
        out = []
        for item in values.items:
            match = [c for c in spec["choices"] if c.upper() == item.upper()]
            if not match:
                raise GridError(f"{where}: {item!r} is not one of {', '.join(spec['choices'])}")
            out.append(match[0])
        return list(dict.fromkeys(out))
    if values.range is not None:
        numbers = [_number(value, kind, where) for value in values.range.values()]
    else:
        numbers = [_number(_decimal(item, where), kind, where) for item in values.items]
    return list(dict.fromkeys(numbers))


def _out_of_range(spec: dict[str, Any], value: Any) -> bool:
    if spec["type"] not in ("int", "float"):
        return False
    low, high = spec.get("min"), spec.get("max")
    return (low is not None and value < low) or (high is not None and value > high)


def _violated(constraints: list[str], params: dict[str, Any]) -> str | None:
    """The first constraint ("a < b", "a <= b") that ``params`` breaks, or None."""
    for text in constraints:
        left, op, right = text.split()
        a, b = params[left], params[right]
        if not (a < b if op == "<" else a <= b):
            return text
    return None


def _with_names(rule: dict[str, Any], params: dict[str, ParamValues]) -> dict[str, Any]:
    """``rule`` with a number parameter per ``$name`` its given (else default) texts use
    (EXPR: ``--param n=...`` is the value of ``$n``); a rule without texts as it is."""
    texts = [p for p in rule["params"] if p["type"] == "text"]
    if not texts:
        return rule
    names: list[str] = []
    for param in texts:
        given = params.get(param["name"])
        values = [param["default"]] if given is None else typed_values(param, given, "EXPR")
        for text in values:
            names += [n for n in _NAME.findall(text) if n not in names]
    extra = [{"name": n, "type": "number", "default": None} for n in names]
    return {**rule, "params": [*rule["params"], *extra]}


def canonical_rule(rules: dict[str, dict[str, Any]], name: str) -> str:
    """The registry's name for ``name`` ("sma-cross" -> "SMA_CROSS")."""
    key = name.strip().upper().replace("-", "_").replace(" ", "_")
    if key not in rules:
        raise GridError(f"--rules: unknown rule {name.strip()!r} (one of {', '.join(rules)})")
    return key


def expand_grid(
    rules_description: list[dict[str, Any]],
    tickers: list[str],
    rule_names: list[str],
    params: dict[str, ParamValues],
    base: dict[str, Any],
) -> Grid:
    """Every request of the grid: tickers × rules × the product of each rule's params.

    :param rules_description: ``GET /api/rules``.
    :param base: fields every request gets (dates, trading parameters).
    :return: the requests (ticker-major, then rule, then parameter order) and the skipped
        ones counted by reason ("out of range: period", "violates fast < slow").
    :raise GridError: an unknown rule, a parameter no selected rule has, a bad value.
    """
    described = {rule["rule_type"]: rule for rule in rules_description}
    selected = list(dict.fromkeys(canonical_rule(described, name) for name in rule_names))
    if not tickers or not selected:
        raise GridError("give at least one ticker (--tickers) and one rule (--rules)")
    rules = {name: _with_names(described[name], params) for name in selected}
    for name in params:
        if not any(p["name"] == name for rule in selected for p in rules[rule]["params"]):
            have = sorted({p["name"] for rule in selected for p in rules[rule]["params"]})
            raise GridError(
                f"--param {name} is a parameter of none of {', '.join(selected)} "
                f"(their parameters: {', '.join(have)})"
            )

    combos: list[tuple[str, dict[str, Any]]] = []
    skipped_per_ticker: Counter = Counter()
    for rule_type in selected:
        rule = rules[rule_type]
        specs = {p["name"]: p for p in rule["params"]}
        axes = [
            [(name, value) for value in typed_values(specs[name], params[name], rule_type)]
            for name in specs
            if name in params
        ]
        for chosen in itertools.product(*axes):
            values = {p["name"]: p["default"] for p in rule["params"]}
            values.update(dict(chosen))
            outside = [name for name, value in chosen if _out_of_range(specs[name], value)]
            if outside:
                skipped_per_ticker[f"out of range: {rule_type} {outside[0]}"] += 1
                continue
            broken = _violated(rule["constraints"], values)
            if broken:
                skipped_per_ticker[f"violates {rule_type} {broken}"] += 1
                continue
            combos.append((rule_type, values))

    grid = Grid()
    for reason, count in skipped_per_ticker.items():
        grid.skipped[reason] = count * len(tickers)
    for ticker in tickers:
        for rule_type, values in combos:
            grid.requests.append(
                {"ticker": ticker, "rule_type": rule_type, "params": dict(values), **base}
            )
    return grid
