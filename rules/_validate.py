"""Checks a rule request (rule type + params, as decoded from JSON) with the pydantic models
generated from the rule specs (``rules.params_model``) and returns it in canonical form, or
raises RuleValidationError naming the exact field.

Pydantic's own messages are not the contract: the first error (in the order a user fixes
them: unknown keys, then fields in spec order, then constraints) is translated into our
message and dotted path, e.g. "params.rules[1].params.period must be between 2 and 200
(got 1)"."""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from rules.spec import (
    CONSTRAINT_ERROR,
    LENGTH_ERROR,
    ParamSpec,
    RuleSpec,
    RuleValidationError,
    canonical_rule_type,
)

if TYPE_CHECKING:  # pydantic is imported on first validation, not with the rules
    from pydantic import ValidationError

    from rules.params_model import RuleModels

_CONSTRAINT = re.compile(r"^(\w+) (<=|<) (\w+)$")
_RELATION = {"<": "less than", "<=": "at most"}
_INVERSE_RELATION = {"<": "greater than", "<=": "at least"}
"""How a broken constraint reads from its right side (overbought must be greater than …)."""
_SHOWN_CHARS = 40
"""User-supplied text quoted in a message is cut to this length."""

SUB_RULE_KEYS = ("rule_type", "params")
"""The keys of one sub-rule object inside a ``rules`` parameter."""


def format_number(value: float | int) -> str:
    """Shortest plain decimal form: 30.0 -> "30", 2.5 -> "2.5", 1e-05 -> "0.00001"."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value)) if abs(value) < 10**30 else "a very large number"
    return np.format_float_positional(float(value), trim="-")


@cache
def parse_constraint(text: str) -> tuple[str, str, str]:
    """Split a constraint: "fast < slow" -> ("fast", "<", "slow"); only < and <= exist."""
    match = _CONSTRAINT.match(text)
    if match is None:
        raise ValueError(f"constraint {text!r} is not of the form 'a < b' or 'a <= b'")
    return match.group(1), match.group(2), match.group(3)


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _shown(value: object) -> str:
    """User input, quoted and cut short, safe to echo."""
    return repr(_clip(value)) if isinstance(value, str) else _clip(repr(value))


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, numbers.Number):
        return "a number"
    return f"a {type(value).__name__}"


def _suggest(name: str, options: list[str], limit: int) -> list[str]:
    """Options that look like ``name``: close spellings first (best first), then options that
    contain it or that it contains."""
    import difflib  # only on the error path

    key = name.lower()
    lowered = {option.lower(): option for option in options}
    hits = [lowered[m] for m in difflib.get_close_matches(key, list(lowered), limit, 0.6)]
    hits += [opt for low, opt in lowered.items() if key and (key in low or low in key)]
    return list(dict.fromkeys(hits))[:limit]


_MODELS: dict[int, RuleModels] = {}
"""The generated models of each registry mapping (keyed by identity; built on first use, so
a registry may still be completed after import, as COMPOSITE is)."""


def models_for(rules: Mapping[str, RuleSpec]) -> RuleModels:
    """The pydantic models generated from ``rules`` (built once per mapping)."""
    models = _MODELS.get(id(rules))
    if models is None or models.rules is not rules:
        from rules.params_model import build_models

        models = _MODELS[id(rules)] = build_models(rules, parse_constraint)
    return models


_SINGLE: dict[tuple[int, str], Any] = {}
"""One rule's own adapter (``rules.params_model.build_single``), keyed by registry identity
and rule type: a process that checks one RSI request builds RSI's model only."""


def _single(rules: Mapping[str, RuleSpec], name: str) -> Any:
    key = (id(rules), name)
    adapter = _SINGLE.get(key)
    if adapter is None:
        from rules.params_model import build_single

        adapter = _SINGLE[key] = build_single(rules[name], parse_constraint)
    return adapter


def _fast(rules: Mapping[str, RuleSpec], rule_type: object, params: object) -> tuple | None:
    """The valid request through its rule's own model, or None: an unknown rule, a rule
    holding sub-rules, or any error (the full models then give the contract's message)."""
    if not isinstance(rule_type, str):
        return None
    name = canonical_rule_type(rule_type)
    spec = rules.get(name)
    if spec is None or any(p.type == "rules" for p in spec.params):
        return None
    try:
        parsed = _single(rules, name).validate_python({"rule_type": rule_type, "params": params})
    except Exception:  # pydantic's ValidationError, translated by the slow path
        return None
    out = (
        spec.defaults()
        if parsed.params is None
        else {param.name: getattr(parsed.params, param.name) for param in spec.params}
    )
    return parsed.rule_type, out


def _own_check(rules: Mapping[str, RuleSpec], rule_type: object, nested: bool) -> RuleSpec | None:
    """The spec of a rule that checks its own params (EXPR), unless it is a sub-rule (the
    models then name it as a rule that cannot be nested)."""
    if nested or not isinstance(rule_type, str):
        return None
    spec = rules.get(canonical_rule_type(rule_type))
    return spec if spec is not None and spec.check is not None else None


def validate(
    rules: Mapping[str, RuleSpec],
    rule_type: object,
    params: object,
    prefix: str = "",
    nested: bool = False,
) -> tuple[str, dict]:
    """(canonical rule type, normalised params) for a request; field paths get ``prefix``.

    ``nested`` marks a sub-rule of a COMPOSITE, which may not itself hold sub-rules.
    A valid request of a plain rule is checked by that rule's model alone (``_fast``);
    everything else, errors included, by the models of every rule.
    """
    own = _own_check(rules, rule_type, nested)
    if own is not None:
        return own.rule_type, own.check(params, prefix)
    fast = _fast(rules, rule_type, params)
    if fast is not None:
        return fast
    models = models_for(rules)
    adapter = models.sub_request if nested else models.request
    try:
        parsed = adapter.validate_python({"rule_type": rule_type, "params": params})
    except Exception as exc:
        # imported on the error path only: this runs once per combination of a sweep
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        raise translate(models, exc, prefix) from None
    return parsed.rule_type, plain_params(models, parsed.rule_type, parsed.params)


def plain_params(models: RuleModels, rule_type: str, params: Any) -> dict:
    """A validated params model as a plain dict in spec order (None: every default; a
    sub-rule as {"rule_type", "params"})."""
    spec = models.rules[rule_type]
    if params is None:
        return spec.defaults()
    out = {}
    for param in spec.params:
        value = getattr(params, param.name)
        if param.type == "rules":
            value = [
                {"rule_type": s.rule_type, "params": plain_params(models, s.rule_type, s.params)}
                for s in value
            ]
        out[param.name] = value
    return out


# --- translating a pydantic ValidationError ---------------------------------------------


_LENGTH_ERRORS = frozenset({"too_short", "too_long", LENGTH_ERROR})


def _is_extra(error: dict) -> bool:
    return error["type"] == "extra_forbidden"


def _before(error: dict, best: dict) -> bool:
    """Whether ``error`` is to be reported before ``best`` (which pydantic listed first):
    an unknown key comes before the other errors of the same object, and a list of the
    wrong length before the errors of its items."""
    loc, other = error["loc"], best["loc"]
    if error["type"] in _LENGTH_ERRORS and other[: len(loc)] == loc:
        return True
    common = 0
    while common < min(len(loc), len(other)) and loc[common] == other[common]:
        common += 1
    at_level = _is_extra(error) and len(loc) == common + 1
    best_at_level = _is_extra(best) and len(other) == common + 1
    return at_level and not best_at_level


def first_error(errors: list[dict]) -> dict:
    """The error a user should see first."""
    best = errors[0]
    for error in errors[1:]:
        if _before(error, best):
            best = error
    return best


def _join(at: str, key: object) -> str:
    return f"{at}.{key}" if at else str(key)


@dataclass
class _Where:
    """Where a pydantic error location points inside a rule request."""

    at: str
    level: str  # "rule" (a {rule_type, params} object), "params", "param", "extra"
    spec: RuleSpec | None = None
    param: ParamSpec | None = None
    key: str = ""


def _locate(rules: Mapping[str, RuleSpec], loc: tuple, prefix: str) -> _Where:
    where = _Where(prefix[:-1] if prefix.endswith(".") else prefix, "rule")
    expect_tag = True
    for item in loc:
        if expect_tag and where.level == "rule" and isinstance(item, str) and item in rules:
            where.spec, expect_tag = rules[item], False
        elif isinstance(item, int):
            where = _Where(f"{where.at}[{item}]", "rule")
            expect_tag = True
        elif where.level == "rule" and item == "params":
            where.at, where.level = _join(where.at, item), "params"
        elif where.level == "params" and where.spec and item in _names(where.spec):
            where.at, where.level = _join(where.at, item), "param"
            where.param = where.spec.param(item)
        else:  # a key no model knows: an unknown parameter or sub-rule field
            where.key, where.level = str(item), f"extra-{where.level}"
    return where


def _names(spec: RuleSpec) -> list[str]:
    return [p.name for p in spec.params]


def translate(models: RuleModels, exc: ValidationError, prefix: str = "") -> RuleValidationError:
    """Our RuleValidationError for the first error of a rule request's ValidationError."""
    error = first_error(exc.errors(include_url=False, include_context=True))
    where = _locate(models.rules, error["loc"], prefix)
    field, message = _message(models.rules, where, error)
    return RuleValidationError(field, message)


def _message(rules: Mapping[str, RuleSpec], where: _Where, error: dict) -> tuple[str, str]:
    kind, value, at = error["type"], error.get("input"), where.at
    if kind.startswith("union_tag"):
        return _rule_object_message(rules, at, value)
    if where.level == "extra-params":
        shown = _clip(where.key)
        names = _names(where.spec)
        hints = _suggest(where.key, names, 1)
        tail = f"did you mean {hints[0]}?" if hints else f"parameters: {', '.join(names)}"
        path = f"{at}.{shown}"
        return path, f"{path} is not a parameter of {where.spec.rule_type} ({tail})"
    if where.level == "extra-rule":
        path = _join(at, _clip(where.key))
        return path, f"{path} is not allowed (a sub-rule has rule_type and params)"
    if where.level == "params":
        if kind == CONSTRAINT_ERROR:
            return _constraint_message(where.spec, at, error["ctx"])
        return at, f"{at} must be an object, not {_kind(value)}"
    if where.level == "param":
        return at, _param_message(where.param, kind, value, at)
    return at or "params", f"{at or 'params'} is invalid"


def _constraint_message(spec: RuleSpec | None, at: str, ctx: dict) -> tuple[str, str]:
    """A broken constraint ("oversold < overbought"), named by the side the user moved: the
    right side when only it differs from its default (overbought=1 against the default
    oversold 30), else the left side."""
    left, right, a, b = ctx["left"], ctx["right"], ctx["a"], ctx["b"]
    if spec is not None and _moved_alone(spec, right, b, left, a):
        path = f"{at}.{right}"
        relation = _INVERSE_RELATION[ctx["op"]]
        return path, f"{path} ({format_number(b)}) must be {relation} {left} ({format_number(a)})"
    path = f"{at}.{left}"
    relation = _RELATION[ctx["op"]]
    return path, f"{path} ({format_number(a)}) must be {relation} {right} ({format_number(b)})"


def _moved_alone(spec: RuleSpec, name: str, value: object, other: str, other_value: object) -> bool:
    """Whether ``name`` differs from its default while ``other`` keeps its own."""
    return spec.param(name).default != value and spec.param(other).default == other_value


def _rule_object_message(rules: Mapping[str, RuleSpec], at: str, value: object) -> tuple[str, str]:
    """A {rule_type, params} object whose rule_type picks no model."""
    if not isinstance(value, Mapping):
        return at, f"{at} must be an object with rule_type and params, not {_kind(value)}"
    for key in value:
        if key not in SUB_RULE_KEYS:
            where = f"{at}.{_clip(str(key))}"
            return where, f"{where} is not allowed (a sub-rule has rule_type and params)"
    field = _join(at, "rule_type")
    rule_type = value.get("rule_type")
    names = ", ".join(rules)
    if rule_type is None or (isinstance(rule_type, str) and not rule_type.strip()):
        return field, f"{field} is required (one of {names})"
    if not isinstance(rule_type, str):
        return field, f"{field} must be a string (one of {names})"
    spec = rules.get(rule_type) or rules.get(canonical_rule_type(rule_type))
    if spec is not None and spec.check is not None:  # EXPR: its own check, not a model
        return field, f"{field} {spec.rule_type} cannot be a sub-rule (write one expression)"
    if spec is not None:  # a known rule the union does not hold: a nested COMPOSITE
        return field, f"{field} {spec.rule_type} cannot be nested inside another {spec.rule_type}"
    hints = _suggest(canonical_rule_type(rule_type), list(rules), 3)
    tail = f"did you mean {' or '.join(hints)}?" if hints else f"one of {names}"
    return field, f"{field} {_shown(rule_type)} is not a known rule ({tail})"


def _range(spec: ParamSpec, value: object, path: str) -> str:
    low, high = format_number(spec.min), format_number(spec.max)
    return f"{path} must be between {low} and {high} (got {format_number(value)})"


def _param_message(spec: ParamSpec, kind: str, value: object, path: str) -> str:
    if kind == "missing":
        return f"{path} is required ({_default_text(spec)})"
    if kind in _RANGE_ERRORS:
        return _range(spec, value, path)
    if spec.type == "int":
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return f"{path} must be an integer, not {_clip(repr(float(value)))}"
        return f"{path} must be an integer, not {_kind(value)}"
    if spec.type == "float":
        if kind == "finite_number":
            return f"{path} must be a finite number"
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return _range(spec, value, path)  # an int beyond float range
        return f"{path} must be a number, not {_kind(value)}"
    if spec.type == "choice":
        options = ", ".join(spec.choices)
        if not isinstance(value, str):
            return f"{path} must be one of {options}, not {_kind(value)}"
        return f"{path} must be one of {options} (got {_shown(value)})"
    low, high = format_number(spec.min), format_number(spec.max)
    if kind in _LENGTH_ERRORS:
        return f"{path} must hold {low} to {high} rules (got {len(value)})"
    return f"{path} must be a list of {low} to {high} rules, not {_kind(value)}"


_RANGE_ERRORS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def _default_text(spec: ParamSpec) -> str:
    if spec.type == "rules":
        return f"a list of {format_number(spec.min)} to {format_number(spec.max)} rules"
    if spec.type == "choice":
        return f"default {spec.default}"
    return f"default {format_number(spec.default)}"
