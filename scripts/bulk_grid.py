"""A parameter grid for bulk submission: ``--param`` values parsed and expanded into run
requests with the rule registry as ``GET /api/rules`` describes it.

``--param name=10:30:2`` is the inclusive range 10, 12, ..., 30; ``--param name=5,10`` a list
(choices too: ``operator=AND,OR``). A parameter applies to every selected rule that has it;
the rules' other parameters keep their registry defaults. A combination outside a
parameter's [min, max] or violating a rule constraint (``fast < slow``) is skipped and
counted, never sent.
"""

from __future__ import annotations

import itertools
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
    if is_range_text(spec):
        try:
            found = parse_range(spec)
        except RangeError as exc:
            raise GridError(f"--param {name}: {_RANGE_MESSAGES[exc.kind](exc)}") from None
        if found.more_than(MAX_RANGE_VALUES):
            raise GridError(f"--param {name}: {spec} has more than {MAX_RANGE_VALUES} values")
        return ParamValues(name, range=found)
    items = tuple(item.strip() for item in spec.split(","))
    if any(not item for item in items):
        raise GridError(f"--param {name}: empty value in {spec!r}")
    return ParamValues(name, items=items)


def merge_params(values: list[ParamValues]) -> dict[str, ParamValues]:
    """The ``--param`` options by name; naming one twice is an error."""
    merged: dict[str, ParamValues] = {}
    for value in values:
        if value.name in merged:
            raise GridError(f"--param {value.name} is given twice")
        merged[value.name] = value
    return merged


def _number(value: Decimal, kind: str, where: str) -> int | float:
    if kind == "int":
        if value != value.to_integral_value():
            raise GridError(f"{where}: {value} is not an integer")
        return int(value)
    return float(value)


def typed_values(spec: dict[str, Any], values: ParamValues, rule_type: str) -> list[Any]:
    """The values of ``values`` typed for the parameter ``spec`` (from /api/rules)."""
    where = f"--param {values.name} ({rule_type})"
    kind = spec["type"]
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
    rules = {rule["rule_type"]: rule for rule in rules_description}
    selected = list(dict.fromkeys(canonical_rule(rules, name) for name in rule_names))
    if not tickers or not selected:
        raise GridError("give at least one ticker (--tickers) and one rule (--rules)")
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
