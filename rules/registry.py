"""The rule registry: every rule type, its parameters and constraints, and the entry points the
API, the dashboard form, the consumer and parameter sweeps use (validate, generate signals
for one parameter set or a batch, slug, describe)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rules import _batch
from rules._validate import format_number, models_for, parse_constraint, validate
from rules.library import (
    atr_breakout,
    bollinger,
    breakout,
    composite,
    expr,
    macd,
    mean_reversion,
    momentum,
    rsi,
    rsi_macd,
    sma_cross,
    trend,
    volume,
)
from rules.spec import ParamSpec, RuleSpec, RuleValidationError

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

_FAMILIES = (
    rsi,
    macd,
    sma_cross,
    rsi_macd,
    bollinger,
    momentum,
    mean_reversion,
    breakout,
    volume,
    trend,
    atr_breakout,
)

RULES: dict[str, RuleSpec] = {family.SPEC.rule_type: family.SPEC for family in _FAMILIES}
"""Every rule, keyed by its upper-case rule_type, in the order the dashboard lists them."""

_BATCH: dict[str, Callable] = {family.SPEC.rule_type: family.batch for family in _FAMILIES}
_CROSSING: dict[str, Callable] = {sma_cross.SPEC.rule_type: sma_cross.crossing}
"""The rules whose signals are crossings of two lines, and the function giving them."""
RULES["COMPOSITE"], _BATCH["COMPOSITE"] = composite.build(RULES, _BATCH)
RULES["EXPR"], _BATCH["EXPR"] = expr.SPEC, expr.batch


def _check_constraints() -> None:
    """Fail at import, not on a request, if a constraint is malformed or names no parameter."""
    for spec in RULES.values():
        for text in spec.constraints:
            left, _, right = parse_constraint(text)
            for name in (left, right):
                spec.param(name)  # KeyError for a name that is not a parameter


_check_constraints()


def validate_rule(rule_type: object, params: object) -> tuple[str, dict]:
    """Check a rule request and return (canonical rule_type, normalised params).

    ``rule_type`` is matched case-insensitively ("sma-cross" -> "SMA_CROSS"). ``params``
    None means every default; a dict must name every parameter, with JSON numbers of the
    right type inside their ranges, and satisfy the rule's constraints. Normalised params
    list the parameters in spec order: ints as int, floats as float, choices in canonical
    case, COMPOSITE sub-rules as [{"rule_type", "params"}] (a sub-rule's params may be
    omitted or null for its defaults).

    Raises:
        RuleValidationError: ``field`` is "rule_type", "params", "params.<name>" or, inside a
            COMPOSITE, e.g. "params.rules[1].params.period" (0-based index).
    """
    return validate(RULES, rule_type, params)


def generate_signals(
    rule_type: str, params: dict | None, bars: Bars
) -> tuple[np.ndarray, np.ndarray]:
    """(entries, exits), bool arrays of length len(bars), for one validated rule request."""
    rule_type, params = validate_rule(rule_type, params)
    return RULES[rule_type].signals(bars, params)


def generate_signals_batch(
    rule_type: str,
    params_list: Sequence[dict | None],
    bars: Bars,
    cache: dict | None = None,
    *,
    validated: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(entries, exits), (N, T) bool arrays, for N parameter sets of one rule type (an entry
    of ``params_list`` may be None for the defaults).

    Row i equals ``generate_signals(rule_type, params_list[i], bars)`` bit for bit: each
    distinct indicator is computed once with the same function a single run uses, and the
    rule's comparisons run on (N, T) arrays. ``cache`` (a dict owned by the caller) keeps the
    indicator arrays between calls, so a sweep can go in chunks without recomputing them;
    it is bound to ``bars`` and emptied when called with other bars. ``validated=True``
    skips the check for parameter sets ``validate_rule`` normalised before (a stored
    request): the consumer then never loads the validation models. ``params_list`` may hold
    its rows by column (``_batch.by_column``: a sweep chunk's): read so, a rule that can
    takes each parameter as a column rather than a dict a row.
    """
    n_bars = len(bars)
    if not len(params_list):
        return np.zeros((0, n_bars), dtype=bool), np.zeros((0, n_bars), dtype=bool)
    if validated and _batch.by_column(params_list):  # a sweep chunk's rows, kept by column
        return _BATCH[rule_type](bars, params_list, _batch.bind_cache(cache, bars))
    if validated:
        checked = [(rule_type, params) for params in params_list]
    else:
        checked = [validate_rule(rule_type, params) for params in params_list]
    canonical = checked[0][0]
    cache = _batch.bind_cache(cache, bars)
    return _BATCH[canonical](bars, [params for _, params in checked], cache)


def position_exits(
    rule_type: str,
    params_list: list[dict],
    bars: Bars,
    window: slice,
    cache: dict | None = None,
    close: np.ndarray | None = None,
) -> list | None:
    """The position-aware exits (``rules.expr.position.PositionExit``, one per row, on the
    bars of ``window``) of N validated parameter sets of one rule, what the engine's walk
    evaluates while a position is open; None when the rule's exits name no position series
    (every rule but an EXPR whose exit does). ``cache``: the one its signals used;
    ``close``: the traded closes of ``window`` when ``bars`` are adjusted prices."""
    if rule_type != expr.SPEC.rule_type or not params_list:
        return None
    cache = _batch.bind_cache(cache, bars)
    return expr.position_exits(bars, params_list, cache, window, close)


def crossing_lines(
    rule_type: str, params_list: list[dict], bars: Bars, cache: dict | None = None
) -> _batch.Crossing | None:
    """The signals ``generate_signals_batch`` gives for N validated parameter sets, as
    crossings of two lines (``_batch.Crossing``; the engine's ``run_crossings`` runs them
    without N × T signal arrays), or None for a rule whose signals are not of that form."""
    function = _CROSSING.get(rule_type)
    if function is None or not params_list:
        return None
    return function(bars, params_list, _batch.bind_cache(cache, bars))


def _slug_value(value: Any) -> str:
    if isinstance(value, str):
        return value.lower()
    text = format_number(value)
    return "m" + text[1:] if text.startswith("-") else text


def rule_slug(rule_type: str, params: dict | None) -> str:
    """A deterministic id for a rule and its parameters, made of [a-z0-9._+-] only.

    The lower-case rule type, then every parameter value in spec order, joined by "-":
    "sma_cross-10-20", "rsi-14-30-70". Numbers are written in their shortest plain form
    (30.0 -> "30", 2.5 -> "2.5") and a minus sign as "m" (-2 -> "m2"). COMPOSITE:
    "composite-and-rsi-14-30-70+macd-12-26-9" (sub-rule slugs joined by "+").

    >>> rule_slug("SMA_CROSS", {"fast": 10, "slow": 20})
    'sma_cross-10-20'
    """
    return slug_of(*validate_rule(rule_type, params))


SLUG_MAX_LENGTH = 128
"""The longest rule id a run stores (the width of ``backtest_results.rule_id``)."""

_SLUG_DIGEST_LENGTH = 16
"""Hex digits of the SHA-256 that end a slug shortened to ``SLUG_MAX_LENGTH``."""


def slug_of(rule_type: str, params: dict) -> str:
    """``rule_slug`` of a rule request validate_rule has already normalised (EXPR: its
    own, ``rules.library.expr.slug``).

    A slug longer than ``SLUG_MAX_LENGTH`` (long decimals, many sub-rules or $parameters)
    becomes its first characters, "-" and the first 16 hex digits of its SHA-256: still
    deterministic and readable at the front, and never wider than the stored column. A slug
    that fits is unchanged.
    """
    slug = _full_slug(rule_type, params)
    if len(slug) <= SLUG_MAX_LENGTH:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:_SLUG_DIGEST_LENGTH]
    prefix = slug[: SLUG_MAX_LENGTH - _SLUG_DIGEST_LENGTH - 1].rstrip("-+.")
    return f"{prefix}-{digest}"


def _full_slug(rule_type: str, params: dict) -> str:
    own = RULES[rule_type].slug
    if own is not None:
        return own(params)
    parts = [rule_type.lower()]
    for value in params.values():
        if isinstance(value, list):
            parts.append("+".join(_full_slug(sub["rule_type"], sub["params"]) for sub in value))
        else:
            parts.append(_slug_value(value))
    return "-".join(parts)


LABEL_MAX_LENGTH = 120
"""The longest ``rule_label``: a longer one ends in "…" (lists show it in a cell, the whole
of it on hover)."""


def rule_label(rule_type: str, params: dict | None, rule_id: str) -> str:
    """How lists name a run's rule: ``rule_id`` (``sma_cross-10-20``), or for a rule whose id
    says too little its ``RuleSpec.label`` (EXPR: its texts and values, not their hash), cut
    to ``LABEL_MAX_LENGTH``."""
    spec = RULES.get(rule_type)
    if spec is None or spec.label is None or not params:
        return rule_id
    try:
        full = spec.label(params)
    except (KeyError, TypeError):  # a stored request older than its rule's params
        return rule_id
    return full if len(full) <= LABEL_MAX_LENGTH else full[: LABEL_MAX_LENGTH - 1] + "…"


def spec_for(rule_type: str, params: object) -> RuleSpec:
    """The RuleSpec of a request of ``rule_type`` (canonical): the registry's, or for a
    rule whose parameters depend on the request (EXPR) the one its ``params`` describe
    (missing texts take the defaults; the values of its $parameters are not checked here).

    :raise RuleValidationError: for params that describe no spec (a bad EXPR text).
    """
    spec = RULES[rule_type]
    return spec.resolve(params) if spec.resolve is not None else spec


def rule_schema() -> dict:
    """The JSON Schema of a ``{rule_type, params}`` object: one generated params model per
    rule (``<RULE>Params`` in ``$defs``, with ``x-constraints``), discriminated by rule_type."""
    return models_for(RULES).request.json_schema()


def _describe_param(param: ParamSpec) -> dict:
    default = param.default
    if param.type == "rules":
        default = [{"rule_type": d["rule_type"], "params": dict(d["params"])} for d in default]
    return {
        "name": param.name,
        "type": param.type,
        "default": default,
        "min": param.min,
        "max": param.max,
        "choices": list(param.choices),
        "description": param.description,
    }


def describe_rules() -> list[dict]:
    """Every rule as JSON-ready dicts (rule_type, description, params, constraints, and
    ``language``: the reference of a rule written in a language, EXPR's, else None): what
    /api/rules serves and the dashboard form is generated from."""
    return [
        {
            "rule_type": spec.rule_type,
            "description": spec.description,
            "params": [_describe_param(param) for param in spec.params],
            "constraints": list(spec.constraints),
            "language": spec.reference() if spec.reference else None,
        }
        for spec in RULES.values()
    ]


__all__ = [
    "RULES",
    "SLUG_MAX_LENGTH",
    "ParamSpec",
    "RuleSpec",
    "RuleValidationError",
    "describe_rules",
    "generate_signals",
    "generate_signals_batch",
    "rule_schema",
    "rule_slug",
    "slug_of",
    "spec_for",
    "validate_rule",
]
