"""A sweep's grid: per rule parameter, a list of values or a ``"start:stop:step"`` range,
checked against the rule registry and expanded into the numbered combinations that run.
The stop parameters (``engine.STOP_FIELDS``: ``stop_loss_pct``…) and the scaling ones
(``engine.SCALING_FIELDS``: ``max_entries``, ``exit_fraction``, ``take_profit_fraction``)
may be swept the same way, after the rule's parameters; their values are checked by the
engine's own domain (``TradingParams``) and ``null`` in a stop's list means the stop is
off for those combinations.

Each value is checked like a run's parameter (type and range from the registry's
``ParamSpec``); a combination that breaks one of the rule's constraints ("fast < slow") is
skipped and counted, never an error. Every error is a ``RequestError`` naming the grid entry
(``grid.fast``). Combinations are enumerated in a fixed order: grid parameters in the rule's
parameter order, the last one varying fastest (``itertools.product`` order).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import numpy as np

from engine import SCALING_FIELDS, STOP_FIELDS, EngineParamError, TradingParams
from engine.param_specs import (
    LIQUIDITY_SPECS,
    LIQUIDITY_WINDOWS,
    MAX_ENTRIES,
    SCALING_SPECS,
    TAKE_PROFIT_FRACTION,
    TAKE_PROFIT_FRACTION_ALONE,
    TAKE_PROFIT_PCT,
)
from kinds.runs.contract import RequestError
from rules import RuleSpec, RuleValidationError, format_number, parse_constraint, validate_rule
from rules.spec import ParamSpec

if TYPE_CHECKING:  # pragma: no cover
    from kinds.sweeps.caps import RequestCaps

MAX_COMBOS = 100_000
"""Most combinations one sweep may run (over all its tickers)."""

MAX_COMPACT_COMBOS = 10_000_000
"""Most combinations one sweep stored compactly (``kinds.sweeps.compact``) may run."""

MAX_ENUMERATED = 10 * MAX_COMBOS
"""Most combinations a grid may describe before constraint-breaking ones are skipped; a
larger grid is refused without being enumerated."""

MAX_VALUES = MAX_COMBOS
"""Most values one grid entry (a list or a range) may hold: more could never run. Counted
before anything is divided, expanded or checked, so a hostile range ("1:99:1e-30",
"2:1e40:1") is refused at once."""

_INTEGER = re.compile(r"^[+-]?[0-9]+$")

LIQUIDITY_SWEPT = tuple(spec.name for spec in LIQUIDITY_SPECS)
"""The numeric liquidity fields (docs/execution.md, "Liquidity"): a grid may sweep them."""

SWEPT_TRADING = (*STOP_FIELDS, *SCALING_FIELDS, *LIQUIDITY_SWEPT)
"""The run's trading fields a grid may sweep, in the grid's order: the stops, then the
scaling fields (docs/execution.md, "Scaling in and out"), then the numeric liquidity
fields ("Liquidity")."""

NEVER_NULL = (*SCALING_FIELDS, *(s.name for s in LIQUIDITY_SPECS if s.default is not None))
"""Swept trading fields that have no "off" (``null``) value."""


@dataclass(frozen=True)
class Grid:
    """An expanded grid: ``values`` per swept parameter (rule order), the combinations that
    satisfy the rule's constraints (tuples of values in ``names`` order) and how many were
    skipped for breaking them."""

    names: tuple[str, ...]
    values: dict[str, list]
    combos: Sequence[tuple]
    """A list; a large grid's ``KeptCombos``."""
    skipped: int

    def params(self, base: dict, combo: tuple) -> dict:
        """The full rule parameter dict of one combination: ``base`` with the swept rule
        values (swept stops, scaling and entry-order values are not rule parameters:
        ``trading``)."""
        swept = zip(self.names, combo, strict=True)
        return {**base, **{name: value for name, value in swept if not is_trading(name)}}

    def trading(self, combo: tuple) -> dict:
        """The swept stop and scaling parameters and entry-order ``$name`` values of one
        combination (empty when none is swept)."""
        swept = zip(self.names, combo, strict=True)
        return {name: value for name, value in swept if is_trading(name)}


ENTRY_PREFIX = "entry_order."
"""Grid names of an entry order's ``$name`` values: ``entry_order.k`` sweeps ``$k`` of its
price expressions (docs/execution.md, "Entry orders")."""


SIZE_PREFIX = "size_expr."
"""Grid names of a size expression's ``$name`` values: ``size_expr.risk`` sweeps ``$risk``
(docs/execution.md, "Position size as an expression")."""


def is_trading(name: str) -> bool:
    """Whether a swept name is a trading parameter (a stop, a scaling field, an entry
    order's or a size expression's ``$name``) rather than a rule parameter."""
    return name in SWEPT_TRADING or name.startswith((ENTRY_PREFIX, SIZE_PREFIX))


def split_swept(swept: dict) -> tuple[dict, dict]:
    """A combination's swept values as (rule parameters, trading parameters: stops, scaling
    fields and ``$name`` values)."""
    rule: dict = {}
    trading: dict = {}
    for name, value in swept.items():  # one test a name: a study's points call this per point
        (trading if is_trading(name) else rule)[name] = value
    return rule, trading


def split_points(points: Points) -> tuple[Points, Points]:
    """``split_swept`` of every point at once: (their rule parameters, their trading
    parameters)."""
    names = points.names
    rule = [name for name in names if not is_trading(name)]
    return points.only(rule), points.only([name for name in names if is_trading(name)])


def split_entry_values(trading: dict, entry_order: dict | None) -> tuple[dict, dict | None]:
    """A combination's trading values as (stops and scaling fields, its entry order): the
    request's ``entry_order`` with the swept ``entry_order.<name>`` values in its
    ``params``."""
    stops = {name: value for name, value in trading.items() if name in SWEPT_TRADING}
    values = {
        name.removeprefix(ENTRY_PREFIX): value
        for name, value in trading.items()
        if name.startswith(ENTRY_PREFIX)
    }
    if not values or not isinstance(entry_order, dict):
        return stops, entry_order
    params = entry_order.get("params")
    return stops, {
        **entry_order,
        "params": {**(params if isinstance(params, dict) else {}), **values},
    }


def split_size_values(trading: dict, size_expr: dict | None) -> dict | None:
    """A combination's ``size_expr``: the request's with the swept ``size_expr.<name>``
    values in its ``params``."""
    values = {
        name.removeprefix(SIZE_PREFIX): value
        for name, value in trading.items()
        if name.startswith(SIZE_PREFIX)
    }
    if not values or not isinstance(size_expr, dict):
        return size_expr
    params = size_expr.get("params")
    return {**size_expr, "params": {**(params if isinstance(params, dict) else {}), **values}}


def trading_fields(trading: dict, entry_order: dict | None, size_expr: dict | None = None) -> dict:
    """A combination's trading values as run request fields: its stops and scaling fields,
    its ``entry_order`` and its ``size_expr`` with the swept ``$name`` values (when it has
    them)."""
    stops, order = split_entry_values(trading, entry_order)
    out = stops if order is None else {**stops, "entry_order": order}
    size = split_size_values(trading, size_expr)
    return out if size is None else {**out, "size_expr": size}


def size_param_specs(size_expr: object) -> dict[str, ParamSpec]:
    """The grid entries a size expression offers, ``size_expr.<name>`` per ``$name`` of its
    text (as ``entry_param_specs``); none without one or when it does not parse."""
    text = size_expr.get("expr") if isinstance(size_expr, dict) else None
    if not isinstance(text, str):
        return {}
    from rules.expr import ExprError
    from rules.size_expr import compile_size  # only here: most sweeps size no expression

    try:
        uses = compile_size(text).params
    except ExprError:
        return {}
    return _dollar_specs(uses, SIZE_PREFIX)


def _dollar_specs(uses: dict[str, str], prefix: str) -> dict[str, ParamSpec]:
    """A grid entry ``<prefix><name>`` per ``$name`` of ``uses`` (its use,
    ``rules.expr.check.USES``): whole numbers for a window or lag, floats otherwise, in the
    strategy language's bounds."""
    from rules.library.expr import DEFAULT_BOUNDS

    specs = {}
    for name, use in uses.items():
        low, high = DEFAULT_BOUNDS[use]
        kind = "float" if use == "number" else "int"
        specs[f"{prefix}{name}"] = ParamSpec(name, kind, None, low, high, f"${name}")
    return specs


def entry_param_specs(entry_order: object) -> dict[str, ParamSpec]:
    """The grid entries an entry order offers, ``entry_order.<name>`` per ``$name`` of its
    price texts (whole numbers for a window or lag, floats otherwise, in the strategy
    language's bounds); none when there is no entry order or its texts do not parse (the
    run request's check names the problem then)."""
    if not isinstance(entry_order, dict):
        return {}
    texts = [entry_order.get(side) for side in ("limit", "stop")]
    if not all(text is None or isinstance(text, str) for text in texts):
        return {}
    from rules.entry_prices import compile_prices  # only here: most sweeps enter at market
    from rules.expr import ExprError

    try:
        uses = compile_prices(*texts).params
    except ExprError:
        return {}
    return _dollar_specs(uses, ENTRY_PREFIX)


SWEPT_TRADING_SPECS = {
    **{
        name: ParamSpec(name, "float", None, None, None, "percent of the entry fill price")
        for name in STOP_FIELDS
    },
    **{
        spec.name: ParamSpec(
            spec.name, "int" if spec is MAX_ENTRIES else "float", None, None, None, spec.message
        )
        for spec in SCALING_SPECS
    },
    **{
        spec.name: ParamSpec(
            spec.name,
            "int" if spec in LIQUIDITY_WINDOWS else "float",
            None,
            None,
            None,
            spec.message,
        )
        for spec in LIQUIDITY_SPECS
    },
}
"""The swept trading fields (``SWEPT_TRADING``) as grid entries: any finite number here (a
whole one for ``max_entries``), the engine's domain next (``expand_stop_values``)."""


def _fail(path: str, message: str) -> RequestError:
    return RequestError(path, f"{path} {message}")


def fraction_without_take_profit(path: str) -> RequestError:
    """The 400 of a searched ``take_profit_fraction`` (at ``path``: ``grid.…``, ``space.…``)
    that goes below 1 where no take-profit is set, worded as a run's."""
    return _fail(path, f"below 1 {TAKE_PROFIT_FRACTION_ALONE}")


def _number_text(value: Any) -> str:
    return format_number(value) if isinstance(value, numbers.Real) else repr(value)[:40]


def check_value(param, value: object, path: str) -> Any:
    """One grid value of ``param`` (a ``ParamSpec``), normalised like the registry does (an
    int stays int, a float parameter takes ints as floats, a choice gets its canonical case).

    :raise RequestError: naming ``path`` for a wrong type or a value out of range.
    """
    from rules.params_model import value_adapter  # pydantic: on the validation path only

    try:
        checked = value_adapter(param).validate_python(value)
    except Exception as exc:  # pydantic's ValidationError: worded for a grid below
        errors = getattr(exc, "errors", None)
        if errors is None:
            raise
        raise _fail(path, _grid_message(param, value, errors()[0]["type"])) from None
    return float(checked) if param.type == "float" else checked


def check_values(param, values: list, path: str) -> list:
    """``check_value`` for every value of a list, in one validation call.

    :raise RequestError: naming ``path`` and the first value at fault.
    """
    from rules.params_model import values_adapter  # pydantic: on the validation path only

    try:
        checked = values_adapter(param).validate_python(values)
    except Exception as exc:  # pydantic's ValidationError: the first bad value, worded
        errors = getattr(exc, "errors", None)
        if errors is None:
            raise
        first = errors()[0]
        value = values[first["loc"][0]] if first["loc"] else values
        raise _fail(path, _grid_message(param, value, first["type"])) from None
    return [float(value) for value in checked] if param.type == "float" else checked


def _grid_message(param, value: object, kind: str) -> str:
    """What a refused grid value is told, by the kind of pydantic error the registry's
    field type raised."""
    if param.type == "choice":
        return f"values must be one of {', '.join(param.choices)} (got {value!r:.40})"
    if kind in ("greater_than_equal", "less_than_equal"):
        return (
            f"values must be between {format_number(param.min)} and "
            f"{format_number(param.max)} (got {format_number(value)})"
        )
    if kind == "finite_number":
        return "values must be finite numbers"
    if param.type == "int" and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"values must be integers, not {float(value)!r:.40}"
    return f"values must be numbers (got {type(value).__name__})"


RANGE_SEPARATOR = ":"
"""What marks a grid entry (or a ``--param`` value) as a ``"start:stop:step"`` range."""

RANGE_PATTERN = r"^\s*[+-]?[0-9.eE+-]+\s*:\s*[+-]?[0-9.eE+-]+\s*:\s*[+-]?[0-9.eE+-]+\s*$"
"""The shape of a ``"start:stop:step"`` text, for the JSON Schema and the dashboard (which
check the shape early); ``parse_range`` decides what is a range."""

GRID_MESSAGE = 'grid must be an object of {param: [values] | "start:stop:step"}'
"""The error of a grid that is missing, not an object or empty."""


def is_range_text(value: object) -> bool:
    """Whether a grid entry or ``--param`` value is meant as a ``"start:stop:step"`` range
    (``parse_range`` then says whether it is a valid one)."""
    return isinstance(value, str) and RANGE_SEPARATOR in value


class RangeError(ValueError):
    """A ``"start:stop:step"`` text that is no range; ``kind`` says why: "parts" (not three
    parts), "integer" (a part is no integer literal, when integers are asked for), "number"
    (a part is no number), "finite", "step" (<= 0) or "empty" (stop < start). ``text`` is
    the part at fault ("integer", "number", "finite"), the step ("step") or the whole text;
    ``parts`` the three stripped parts (empty for "parts")."""

    def __init__(self, kind: str, text: str, parts: tuple[str, ...] = ()) -> None:
        super().__init__(f"{kind}: {text}")
        self.kind = kind
        self.text = text
        self.parts = parts


@dataclass(frozen=True)
class Range:
    """An inclusive ``start:stop:step`` range, exact in decimal (0.1:0.3:0.1 is 0.1, 0.2, 0.3)."""

    start: Decimal
    stop: Decimal
    step: Decimal

    def more_than(self, limit: int) -> bool:
        """Whether the range holds more than ``limit`` values, decided without dividing:
        ``(stop - start) // step`` raises when the quotient exceeds Decimal's precision
        ("2:1e40:1", "1:99:1e-30"), so untrusted ranges are sized with this first."""
        return self.stop - self.start >= self.step * limit

    @property
    def count(self) -> int:
        """How many values (stop inclusive); ask ``more_than`` first of an untrusted range."""
        return int((self.stop - self.start) // self.step) + 1

    def values(self) -> list[Decimal]:
        return [self.start + i * self.step for i in range(self.count)]


def parse_range(text: str, *, integers: bool = False) -> Range:
    """The one parser of the ``"start:stop:step"`` syntax (the API's grids, the bulk
    scripts' ``--param``; the dashboard's script counts the same way). ``integers`` (an
    int parameter) also refuses a part that is not written as an integer ("1.5", "1e1").

    :raise RangeError: naming what is wrong (``RangeError.kind``); callers word it.
    """
    split = text.split(RANGE_SEPARATOR)
    if len(split) != 3:
        raise RangeError("parts", text)
    parts = tuple(part.strip() for part in split)
    if integers:
        for part in parts:
            if not _INTEGER.match(part):
                raise RangeError("integer", part, parts)
    numbers = []
    for part in parts:
        try:
            number = Decimal(part)
        except InvalidOperation:
            raise RangeError("number", part, parts) from None
        if not number.is_finite():
            raise RangeError("finite", part, parts)
        numbers.append(number)
    found = Range(*numbers)
    if found.step <= 0:
        raise RangeError("step", _plain(found.step), parts)
    if found.stop < found.start:
        raise RangeError("empty", text, parts)
    return found


def range_count(text: str, param, path: str) -> tuple[Decimal, Decimal, int]:
    """(start, step, number of values) of a ``"start:stop:step"`` range (stop inclusive).

    :raise RequestError: for a malformed range, a step <= 0 or an empty range (stop < start).
    """
    if param.type not in ("int", "float"):
        raise _fail(path, "a start:stop:step range needs a numeric parameter; give a list")
    try:
        found = parse_range(text, integers=param.type == "int")
    except RangeError as exc:
        raise _fail(path, _RANGE_MESSAGES[exc.kind](exc)) from None
    if found.more_than(MAX_VALUES):
        raise _fail(path, f"holds more than {MAX_VALUES:,} values; use a larger step")
    return found.start, found.step, found.count


_RANGE_MESSAGES = {
    "parts": lambda exc: f'must be a list or "start:stop:step" (got {exc.text[:40]!r})',
    "integer": lambda exc: (
        f"start, stop and step must be integers for an int parameter: {exc.text!r}"
    ),
    "number": lambda exc: f"{exc.text[:40]!r} is not a number",
    "finite": lambda exc: "start, stop and step must be finite numbers",
    "step": lambda exc: f"step must be greater than 0 (got {exc.text})",
    "empty": lambda exc: (
        f"is an empty range: stop {_plain(Decimal(exc.parts[1]))} is below start "
        f"{_plain(Decimal(exc.parts[0]))}"
    ),
}
"""How the API words each ``RangeError`` (after the grid entry's path)."""


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def expand_range(text: str, param, path: str) -> list:
    """The values of a ``"start:stop:step"`` range (decimal steps: 0.1:0.3:0.1 gives 0.1,
    0.2, 0.3 exactly as typed). The first and the last value are checked against the
    parameter: every value lies between them and has their type."""
    start, step, count = range_count(text, param, path)
    cast = int if param.type == "int" else float
    first = check_value(param, cast(start), path)
    last = check_value(param, cast(start + (count - 1) * step), path)
    middle = [cast(start + i * step) for i in range(1, count - 1)]
    return [first, *middle, last] if count > 1 else [first]


def value_count(spec: object, param, path: str) -> int:
    """How many values a grid entry holds, without expanding a range.

    :raise RequestError: for an entry of more than ``MAX_VALUES`` values.
    """
    if is_range_text(spec):
        return range_count(spec, param, path)[2]
    if isinstance(spec, list):
        if len(spec) > MAX_VALUES:
            raise _fail(path, f"holds more than {MAX_VALUES:,} values")
        return len(spec)
    return 1


def expand_values(spec: object, param, path: str) -> list:
    """The checked values of one grid entry: a list, a range string or a single value."""
    if param.type == "rules":
        raise _fail(path, "cannot be swept (sub-rules are fixed; sweep a plain rule instead)")
    if param.type in ("text", "bounds"):
        raise _fail(path, "cannot be swept (the texts and bounds are fixed; sweep a $parameter)")
    if is_range_text(spec):
        return expand_range(spec, param, path)
    if isinstance(spec, list):
        if not spec:
            raise _fail(path, "must hold at least one value")
        values = check_values(param, spec, path)
    else:
        values = [check_value(param, spec, path)]
    seen: set = set()
    for value in values:
        if value in seen:
            raise _fail(path, f"holds {_number_text(value)} twice")
        seen.add(value)
    return values


def expand_stop_values(spec: object, name: str, path: str) -> list:
    """The values of a swept stop or scaling field (``SWEPT_TRADING``): a range, a list
    (``null`` = off, for a stop) or one value, each in the engine's domain
    (``TradingParams``: 0 < stop_loss_pct < 100, max_entries a whole number from 1 to 100
    …). Whether a ``take_profit_fraction`` below 1 has a take-profit at every point is the
    sweep's check (``kinds.sweeps.contract``)."""
    param = SWEPT_TRADING_SPECS[name]
    if is_range_text(spec):
        values = expand_range(spec, param, path)
    else:
        raw = spec if isinstance(spec, list) else [spec]
        if not raw:
            raise _fail(path, "must hold at least one value")
        if name in NEVER_NULL and None in raw:
            raise _fail(path, "values must be numbers (got null)")
        values = [None if value is None else check_value(param, value, path) for value in raw]
        if len(set(values)) != len(values):
            twice = next(v for v in values if values.count(v) > 1)
            raise _fail(path, f"holds {'null' if twice is None else _number_text(twice)} twice")
    needs = {TAKE_PROFIT_PCT.name: 1.0} if name == TAKE_PROFIT_FRACTION.name else {}
    for value in values:
        if value is None:
            continue
        try:
            TradingParams(**{name: value}, **needs)
        except EngineParamError as exc:
            raise _fail(path, f"values {exc.message} (got {_number_text(value)})") from None
    return values


def _constraint_mask(
    spec: RuleSpec, names: tuple[str, ...], values: dict, index: np.ndarray, base: dict
) -> np.ndarray:
    """Which rows of ``index`` (combos as value indices) satisfy every constraint."""
    keep = np.ones(index.shape[0], dtype=bool)

    def column(name: str) -> np.ndarray | float:
        if name in values:
            return np.asarray(values[name], dtype=np.float64)[index[:, names.index(name)]]
        return float(base[name])

    for text in spec.constraints:
        left, op, right = parse_constraint(text)
        a, b = column(left), column(right)
        keep &= (a < b) if op == "<" else (a <= b)
    return keep


def expand_grid(
    spec: RuleSpec,
    grid: object,
    base: dict,
    n_tickers: int = 1,
    caps: RequestCaps | None = None,
    entry: dict[str, ParamSpec] | None = None,
) -> Grid:
    """Check and expand ``grid`` for ``spec``; ``base`` holds every parameter's base value;
    ``entry`` the request's entry-order and size-expression grid entries
    (``entry_param_specs``, ``size_param_specs``).
    ``skipped`` counts constraint-breaking combinations over all ``n_tickers``. ``caps``
    (the request's, ``kinds.sweeps.caps``) are checked on the count of the combinations
    kept, before any of them is built or checked with the registry.

    :raise RequestError: naming ``grid`` or ``grid.<param>``; also when the sweep (over
        ``n_tickers``) would exceed ``MAX_COMBOS`` (with ``caps`` that store a large sweep
        compactly, their ``grid_limit``) — the message gives the count — or when no
        combination satisfies the rule's constraints; what ``caps`` raises.
    """
    if not isinstance(grid, dict) or not grid:
        raise RequestError("grid", GRID_MESSAGE)
    known = [p.name for p in spec.params]
    entry = entry or {}
    for key in grid:
        if key not in known and key not in SWEPT_TRADING and key not in entry:
            path = f"grid.{str(key)[:40]}"
            names = ", ".join(entry)
            offered = f" nor a $name of entry_order or size_expr ({names})" if entry else ""
            raise _fail(
                path,
                f"is not a parameter of {spec.rule_type} ({', '.join(known)}) nor a stop "
                f"({', '.join(STOP_FIELDS)}) nor a scaling field ({', '.join(SCALING_FIELDS)})"
                f" nor a liquidity field ({', '.join(LIQUIDITY_SWEPT)})"
                f"{offered}",
            )
    names = tuple(name for name in (*known, *SWEPT_TRADING, *entry) if name in grid)

    def param_of(name: str) -> ParamSpec:
        if name in entry:
            return entry[name]
        return SWEPT_TRADING_SPECS[name] if name in SWEPT_TRADING else spec.param(name)

    def values_of(name: str) -> list:
        path = f"grid.{name}"
        if name in SWEPT_TRADING:
            return expand_stop_values(grid[name], name, path)
        return expand_values(grid[name], param_of(name), path)

    counts = [value_count(grid[name], param_of(name), f"grid.{name}") for name in names]
    described = math.prod(counts) * n_tickers
    compact_limit = None if caps is None else caps.grid_limit
    limit = MAX_COMBOS if compact_limit is None else max(MAX_COMBOS, compact_limit)
    if described > max(MAX_ENUMERATED, 2 * limit):
        raise RequestError(
            "grid",
            f"grid describes {described:,} combinations; a sweep may run at most {limit:,}",
        )
    values = {name: values_of(name) for name in names}
    shape = tuple(len(values[name]) for name in names)
    compact = caps.compact if caps is not None else None
    if compact is not None and compact.applies(described):
        return _expand_large(spec, names, values, base, n_tickers, caps, limit)
    index = np.indices(shape).reshape(len(names), -1).T
    keep = _constraint_mask(spec, names, values, index, base)
    kept = index[keep]
    total = int(kept.shape[0]) * n_tickers
    if total > limit:
        raise RequestError(
            "grid",
            f"grid has {total:,} combinations to run; a sweep may run at most {limit:,}",
        )
    if not kept.shape[0]:
        rules = ", ".join(spec.constraints)
        raise RequestError("grid", f"grid has no combination that satisfies {rules}")
    if caps is not None:
        caps.check_combinations(int(kept.shape[0]), n_tickers)
    columns = [values[name] for name in names]
    combos = [tuple(columns[k][i] for k, i in enumerate(row)) for row in kept.tolist()]
    skipped = (index.shape[0] - kept.shape[0]) * n_tickers
    expanded = Grid(names=names, values=values, combos=combos, skipped=skipped)
    _check_with_registry(spec, expanded, base)
    return expanded


class KeptCombos(Sequence):
    """The combinations a large grid keeps, held as their flat indices into the whole grid
    (``itertools.product`` order; 8 bytes each), each built as a tuple of values only when
    it is read: what a sweep stored compactly carries instead of a list of tuples, so 10
    million combinations cost 80 MB at submission, not gigabytes. Reads like that list."""

    def __init__(self, columns: Sequence[list], shape: tuple[int, ...], flat: np.ndarray):
        self.columns = tuple(columns)
        self.shape = shape
        self.flat = flat

    def __len__(self) -> int:
        return int(self.flat.size)

    def __getitem__(self, at):  # type: ignore[override]
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        place = np.unravel_index(int(self.flat[at]), self.shape)
        return tuple(self.columns[k][int(i)] for k, i in enumerate(place))


class Points(Sequence):
    """A chunk's points (combinations) by column, never one object a point: per swept name
    (``names``), its distinct values (``levels``) and, per point, the index of its value
    there (``codes``: K × n int64, column j for ``names[j]``). A large sweep's chunk reads
    its points straight from the grid (``from_flat``: the levels are the grid's value lists,
    the codes its flat indices unravelled), a listed chunk from its value rows
    (``from_rows``). Reads like the list of ``{name: value}`` dicts it replaces (a dict is
    built only for the point asked for: a search over another kind's few points, a stored
    row)."""

    def __init__(self, names: Sequence[str], levels: Sequence[list], codes: np.ndarray) -> None:
        self.names = tuple(names)
        self.levels = tuple(levels)
        self.codes = codes

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def __getitem__(self, at):  # type: ignore[override]
        if isinstance(at, slice):
            return Points(self.names, self.levels, self.codes[at])
        row = self.codes[at].tolist()
        return {name: self.levels[j][row[j]] for j, name in enumerate(self.names)}

    def __iter__(self):
        if not self.names:
            yield from ({} for _ in range(len(self)))
            return
        columns = [self.column(name) for name in self.names]
        for row in zip(*columns, strict=True):
            yield dict(zip(self.names, row, strict=True))

    def coded(self, name: str) -> tuple[list, np.ndarray]:
        """The distinct values of ``name`` and each point's index into them."""
        j = self.names.index(name)
        return self.levels[j], self.codes[:, j]

    def column(self, name: str) -> list:
        """Each point's value of ``name``, as a list."""
        levels, codes = self.coded(name)
        return [levels[i] for i in codes.tolist()]

    def numbers(self, name: str) -> np.ndarray:
        """Each point's value of a numeric ``name`` as float64 (the values' own floats)."""
        levels, codes = self.coded(name)
        return np.asarray(levels, dtype=np.float64)[codes]

    def only(self, names: Sequence[str]) -> Points:
        """The points' values of ``names`` alone (in that order)."""
        at = [self.names.index(name) for name in names]
        return Points(names, [self.levels[j] for j in at], self.codes[:, at])

    @classmethod
    def from_flat(
        cls, names: Sequence[str], values: Sequence[list], shape: tuple[int, ...], flat: np.ndarray
    ) -> Points:
        """The grid points at flat indices ``flat`` (``itertools.product`` order of
        ``values``, one list per name, of ``shape``)."""
        codes = np.stack(np.unravel_index(flat, shape), axis=1) if len(names) else None
        if codes is None:
            codes = np.zeros((flat.size, 0), dtype=np.int64)
        return cls(names, [list(v) for v in values], codes.astype(np.int64, copy=False))

    @classmethod
    def from_rows(cls, names: Sequence[str], rows: Sequence[Sequence]) -> Points:
        """Points given as value rows (``rows[k][j]``: point k's value of ``names[j]``);
        values that differ in type or in their text (1 and 1.0, 0.0 and -0.0) stay apart."""
        codes = np.zeros((len(rows), len(names)), dtype=np.int64)
        levels: list[list] = []
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        if len(columns) != len(names):
            raise ValueError("a point's values do not match its names")
        for j, column in enumerate(columns):
            seen: dict = {}
            values: list = []
            at_of = []
            for value in column:
                key = _level_key(value)
                at = seen.get(key)
                if at is None:
                    at = seen[key] = len(values)
                    values.append(value)
                at_of.append(at)
            codes[:, j] = at_of
            levels.append(values)
        return cls(names, levels, codes)


def _level_key(value: Any) -> Any:
    """What tells two point values apart: their type and their value (a float's, a list's or
    an object's text: -0.0 is not 0.0, nor [1] [1.0], nor {"a", "b"} {"b", "a"})."""
    if isinstance(value, int | str | bool) or value is None:
        return (type(value), value)
    return (type(value), repr(value))


BLOCK = 1 << 20
"""Grid points whose constraints one step of ``kept_between`` checks at once."""


def kept_between(
    spec: RuleSpec, names: tuple[str, ...], values: dict, base: dict, first: int, stop: int
) -> np.ndarray:
    """The flat indices in ``[first, stop)`` of the grid points (``values`` of ``names``,
    ``itertools.product`` order) that satisfy ``spec``'s constraints, ascending; checked
    ``BLOCK`` points at a time."""
    shape = tuple(len(values[name]) for name in names)
    parts = [np.zeros(0, dtype=np.int64)]
    for start in range(first, stop, BLOCK):
        flat = np.arange(start, min(stop, start + BLOCK), dtype=np.int64)
        index = np.stack(np.unravel_index(flat, shape), axis=1)
        parts.append(flat[_constraint_mask(spec, names, values, index, base)])
    return np.concatenate(parts)


def combos_between(
    spec: RuleSpec, names: tuple[str, ...], values: dict, base: dict, first: int, stop: int
) -> list[tuple]:
    """The combinations (tuples of values) at the flat indices ``[first, stop)`` of the grid
    that satisfy ``spec``'s constraints, in order: a compact chunk message's combinations
    (``kinds.sweeps.contract.compact_payloads``)."""
    shape = tuple(len(values[name]) for name in names)
    flat = kept_between(spec, names, values, base, first, stop)
    return list(KeptCombos([values[name] for name in names], shape, flat))


def points_between(
    spec: RuleSpec, names: tuple[str, ...], values: dict, base: dict, first: int, stop: int
) -> Points:
    """``combos_between`` as ``Points``: the grid's value lists and each kept point's
    indices into them, without a tuple a combination."""
    shape = tuple(len(values[name]) for name in names)
    flat = kept_between(spec, names, values, base, first, stop)
    return Points.from_flat(names, [values[name] for name in names], shape, flat)


def _expand_large(
    spec: RuleSpec,
    names: tuple[str, ...],
    values: dict,
    base: dict,
    n_tickers: int,
    caps: RequestCaps,
    limit: int,
) -> Grid:
    """``expand_grid`` of a grid that describes more combinations than a sweep stored row
    by row may run: its constraints checked a block at a time (``kept_between``), its
    combinations held as ``KeptCombos``, and, when it is stored compactly, each swept value
    checked once with the registry (``_check_lines``) rather than every combination."""
    shape = tuple(len(values[name]) for name in names)
    flat = kept_between(spec, names, values, base, 0, math.prod(shape))
    total = int(flat.size) * n_tickers
    if total > limit:
        raise RequestError(
            "grid",
            f"grid has {total:,} combinations to run; a sweep may run at most {limit:,}",
        )
    if not flat.size:
        rules = ", ".join(spec.constraints)
        raise RequestError("grid", f"grid has no combination that satisfies {rules}")
    caps.check_combinations(int(flat.size), n_tickers)
    combos = KeptCombos([values[name] for name in names], shape, flat)
    skipped = (math.prod(shape) - int(flat.size)) * n_tickers
    expanded = Grid(names=names, values=values, combos=combos, skipped=skipped)
    if caps.compact is not None and caps.compact.applies(total):
        _check_lines(spec, expanded, base, shape)
    else:
        _check_with_registry(spec, expanded, base)
    return expanded


def _check_lines(spec: RuleSpec, grid: Grid, base: dict, shape: tuple[int, ...]) -> None:
    """``_check_with_registry`` of the combinations on the lines through the grid's first
    combination (each swept value with the first combination's other values) that satisfy
    the constraints: every value meets the registry once, in seconds however many
    combinations the grid holds (the constraints themselves are checked on every one)."""
    first = np.unravel_index(int(grid.combos.flat[0]), shape)  # type: ignore[attr-defined]
    rows = [np.asarray(first, dtype=np.int64)]
    for axis, size in enumerate(shape):
        line = np.tile(rows[0], (size, 1))
        line[:, axis] = np.arange(size)
        rows.append(line)
    index = np.unique(np.vstack(rows), axis=0)
    keep = _constraint_mask(spec, grid.names, grid.values, index, base)
    columns = [grid.values[name] for name in grid.names]
    combos = [tuple(columns[k][i] for k, i in enumerate(row)) for row in index[keep].tolist()]
    _check_with_registry(spec, replace(grid, combos=combos), base)


def _check_with_registry(spec: RuleSpec, grid: Grid, base: dict) -> None:
    """Validate every combination with the registry itself (the authority a chunk applies
    again); a refusal here names the grid entry at fault."""
    seen: set = set()
    for combo in grid.combos:
        params = grid.params(base, combo)
        key = repr(params)  # combos that differ by their stops only share their rule check
        if key in seen:
            continue
        seen.add(key)
        try:
            validate_rule(spec.rule_type, params)
        except RuleValidationError as exc:
            name = exc.field.removeprefix("params.")
            if name in grid.names:
                raise RequestError(
                    f"grid.{name}", exc.message.replace("params.", "grid.", 1)
                ) from None
            raise RequestError(exc.field, exc.message) from None
