"""Checks a rule request (rule type + params, as decoded from JSON) against the rule specs and
returns it in canonical form, or raises RuleValidationError naming the exact field."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from rules.spec import ParamSpec, RuleSpec, RuleValidationError

_CONSTRAINT = re.compile(r"^(\w+) (<=|<) (\w+)$")
_RELATION = {"<": "less than", "<=": "at most"}
_SHOWN_CHARS = 40
"""User-supplied text quoted in a message is cut to this length."""

SUB_RULE_KEYS = ("rule_type", "params")
"""The keys of one sub-rule object inside a ``rules`` parameter."""


def canonical_rule_type(name: str) -> str:
    """Normalise a rule name: "sma-cross" or " Sma_Cross " -> "SMA_CROSS"."""
    return name.strip().upper().replace("-", "_").replace(" ", "_")


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


def _resolve(rules: Mapping[str, RuleSpec], rule_type: object, field: str) -> RuleSpec:
    names = ", ".join(rules)
    if rule_type is None or (isinstance(rule_type, str) and not rule_type.strip()):
        raise RuleValidationError(field, f"{field} is required (one of {names})")
    if not isinstance(rule_type, str):
        raise RuleValidationError(field, f"{field} must be a string (one of {names})")
    spec = rules.get(rule_type) or rules.get(canonical_rule_type(rule_type))
    if spec is None:
        hints = _suggest(canonical_rule_type(rule_type), list(rules), 3)
        tail = f"did you mean {' or '.join(hints)}?" if hints else f"one of {names}"
        raise RuleValidationError(
            field, f"{field} {_shown(rule_type)} is not a known rule ({tail})"
        )
    return spec


def _check_range(spec: ParamSpec, value: float | int, path: str) -> None:
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise RuleValidationError(
            path,
            f"{path} must be between {format_number(spec.min)} and {format_number(spec.max)} "
            f"(got {format_number(value)})",
        )


def _int_value(spec: ParamSpec, value: object, path: str) -> int:
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                shown = _clip(repr(float(value)))
                raise RuleValidationError(path, f"{path} must be an integer, not {shown}")
            raise RuleValidationError(path, f"{path} must be an integer, not {_kind(value)}")
        value = int(value)
    _check_range(spec, value, path)
    return value


def _float_value(spec: ParamSpec, value: object, path: str) -> float:
    if type(value) is not float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise RuleValidationError(path, f"{path} must be a number, not {_kind(value)}")
        if isinstance(value, numbers.Integral):
            _check_range(spec, value, path)  # before float(): a huge int would overflow
            return float(value)
        value = float(value)
    if not math.isfinite(value):
        raise RuleValidationError(path, f"{path} must be a finite number")
    _check_range(spec, value, path)
    return value


def _choice_value(spec: ParamSpec, value: object, path: str) -> str:
    options = ", ".join(spec.choices)
    if not isinstance(value, str):
        raise RuleValidationError(path, f"{path} must be one of {options}, not {_kind(value)}")
    for choice in spec.choices:
        if value.strip().upper() == choice.upper():
            return choice
    raise RuleValidationError(path, f"{path} must be one of {options} (got {_shown(value)})")


def _rules_value(
    rules: Mapping[str, RuleSpec], spec: ParamSpec, value: object, path: str
) -> list[dict]:
    low, high = format_number(spec.min), format_number(spec.max)
    if not isinstance(value, (list, tuple)):
        raise RuleValidationError(
            path, f"{path} must be a list of {low} to {high} rules, not {_kind(value)}"
        )
    if not spec.min <= len(value) <= spec.max:
        raise RuleValidationError(
            path, f"{path} must hold {low} to {high} rules (got {len(value)})"
        )
    out = []
    for index, item in enumerate(value):
        at = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            raise RuleValidationError(
                at, f"{at} must be an object with rule_type and params, not {_kind(item)}"
            )
        for key in item:
            if key not in SUB_RULE_KEYS:
                where = f"{at}.{_clip(str(key))}"
                raise RuleValidationError(
                    where, f"{where} is not allowed (a sub-rule has rule_type and params)"
                )
        rule_type, params = validate(
            rules, item.get("rule_type"), item.get("params"), prefix=f"{at}.", nested=True
        )
        out.append({"rule_type": rule_type, "params": params})
    return out


def _value(rules: Mapping[str, RuleSpec], spec: ParamSpec, value: object, path: str) -> Any:
    if spec.type == "int":
        return _int_value(spec, value, path)
    if spec.type == "float":
        return _float_value(spec, value, path)
    if spec.type == "choice":
        return _choice_value(spec, value, path)
    return _rules_value(rules, spec, value, path)


def _default_text(spec: ParamSpec) -> str:
    if spec.type == "rules":
        return f"a list of {format_number(spec.min)} to {format_number(spec.max)} rules"
    if spec.type == "choice":
        return f"default {spec.default}"
    return f"default {format_number(spec.default)}"


def _params(rules: Mapping[str, RuleSpec], spec: RuleSpec, params: object, field: str) -> dict:
    if params is None:
        return spec.defaults()
    if not isinstance(params, Mapping):
        raise RuleValidationError(field, f"{field} must be an object, not {_kind(params)}")
    names = [p.name for p in spec.params]
    for key in params:
        if key not in names:
            shown = _clip(str(key))
            hints = _suggest(str(key), names, 1)
            tail = f"did you mean {hints[0]}?" if hints else f"parameters: {', '.join(names)}"
            raise RuleValidationError(
                f"{field}.{shown}",
                f"{field}.{shown} is not a parameter of {spec.rule_type} ({tail})",
            )
    out = {}
    for param in spec.params:
        path = f"{field}.{param.name}"
        if param.name not in params:
            raise RuleValidationError(path, f"{path} is required ({_default_text(param)})")
        out[param.name] = _value(rules, param, params[param.name], path)
    for text in spec.constraints:
        left, op, right = parse_constraint(text)
        a, b = out[left], out[right]
        if not (a < b if op == "<" else a <= b):
            path = f"{field}.{left}"
            raise RuleValidationError(
                path,
                f"{path} ({format_number(a)}) must be {_RELATION[op]} {right} ({format_number(b)})",
            )
    return out


def validate(
    rules: Mapping[str, RuleSpec],
    rule_type: object,
    params: object,
    prefix: str = "",
    nested: bool = False,
) -> tuple[str, dict]:
    """(canonical rule type, normalised params) for a request; field paths get ``prefix``.

    ``nested`` marks a sub-rule of a COMPOSITE, which may not itself hold sub-rules.
    """
    spec = _resolve(rules, rule_type, f"{prefix}rule_type")
    if nested and any(p.type == "rules" for p in spec.params):
        field = f"{prefix}rule_type"
        raise RuleValidationError(
            field, f"{field} {spec.rule_type} cannot be nested inside another {spec.rule_type}"
        )
    return spec.rule_type, _params(rules, spec, params, f"{prefix}params")
