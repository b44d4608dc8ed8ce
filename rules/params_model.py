"""Pydantic models generated from the registry's ParamSpecs: one params model per rule, and
a discriminated union of ``{rule_type, params}`` over every rule (COMPOSITE's ``rules``
parameter holds the same union over the rules that may be nested).

The models are the one place rule requests are checked (types, bounds, choices, required
and unknown parameters, constraints such as "fast < slow"); ``rules._validate`` turns their
``ValidationError`` into a ``RuleValidationError`` with our messages and dotted paths, and
their JSON Schema is what ``/api/schema/run`` serves to the dashboard form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rules.spec import (
    CONSTRAINT_ERROR,
    LENGTH_ERROR,
    ParamSpec,
    RuleSpec,
    canonical_rule_type,
)

_PARAMS_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False, protected_namespaces=())


def _rule_tag(names: frozenset[str]):
    """The union's discriminator: the canonical rule type of a sub-rule object, or None
    (pydantic then reports ``union_tag_not_found``) when it names none of ``names``."""

    def tag(value: Any) -> str | None:
        if isinstance(value, Mapping):
            raw = value.get("rule_type")
        elif isinstance(value, BaseModel):
            raw = getattr(value, "rule_type", None)
        else:
            return None
        if not isinstance(raw, str):
            return None
        name = raw if raw in names else canonical_rule_type(raw)
        return name if name in names else None

    return tag


def _canonical_choice(choices: tuple[str, ...]):
    def canonical(value: Any) -> Any:
        if isinstance(value, str):
            for choice in choices:
                if value.strip().upper() == choice.upper():
                    return choice
        return value

    return canonical


def _canonical_rule(value: Any) -> Any:
    return canonical_rule_type(value) if isinstance(value, str) else value


def _check_constraints(spec: RuleSpec, parsed: tuple[tuple[str, str, str], ...]):
    def check(model: BaseModel) -> BaseModel:
        for left, op, right in parsed:
            a, b = getattr(model, left), getattr(model, right)
            if not (a < b if op == "<" else a <= b):
                raise PydanticCustomError(
                    CONSTRAINT_ERROR,
                    "{left} must be {op} {right}",
                    {"left": left, "op": op, "right": right, "a": a, "b": b},
                )
        return model

    return check


@dataclass
class RuleModels:
    """Every model generated for one registry: ``params[rule_type]`` (the params model of
    each rule) and ``request`` (the adapter of a ``{rule_type, params}`` object)."""

    params: dict[str, type[BaseModel]]
    request: TypeAdapter
    sub_request: TypeAdapter
    rules: Mapping[str, RuleSpec]


def _field(spec: ParamSpec, sub_rule: Any) -> tuple[Any, Any]:
    """A parameter's type and its ``Field``: a parameter left out takes its registry
    default (as ``params`` left out takes every default), so ``{"period": 10}`` is RSI with
    oversold 30 and overbought 70; the normalised request then names every value."""
    default = _json_default(spec.default)
    if spec.type == "rules":  # sub-rule dicts become the sub-rule models, as if sent
        info = Field(
            default_factory=lambda: _json_default(spec.default),
            validate_default=True,
            description=spec.description,
            json_schema_extra={"default": default},
        )
    else:
        info = Field(default=default, description=spec.description)
    if spec.type == "int":
        return Annotated[int, Field(strict=True, ge=spec.min, le=spec.max)], info
    if spec.type == "float":
        return Annotated[float, Field(strict=True, ge=spec.min, le=spec.max)], info
    if spec.type == "text":
        return Annotated[str, Field(strict=True)], info
    if spec.type == "bounds":
        return dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]], info
    if spec.type == "choice":
        literal = Literal[spec.choices]  # type: ignore[valid-type]
        return Annotated[literal, BeforeValidator(_canonical_choice(spec.choices))], info
    low, high = int(spec.min), int(spec.max)
    sized = Field(min_length=low, max_length=high)
    return Annotated[list[sub_rule], sized, BeforeValidator(_length_first(low, high))], info


def _length_first(low: int, high: int):
    """Check a sub-rule list's length before its items (pydantic checks it after), so a
    list of the wrong length is reported as such rather than for its first bad item."""

    def check(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and not low <= len(value) <= high:
            raise PydanticCustomError(LENGTH_ERROR, "wrong number of rules", {"length": len(value)})
        return value

    return check


def _json_default(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_json_default(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _json_default(v) for k, v in value.items()}
    return value


def _params_model(spec: RuleSpec, sub_rule: Any, parse_constraint) -> type[BaseModel]:
    fields = {param.name: _field(param, sub_rule) for param in spec.params}
    parsed = tuple(parse_constraint(text) for text in spec.constraints)
    validators = {}
    if parsed:
        check = _check_constraints(spec, parsed)
        validators["check_constraints"] = model_validator(mode="after")(check)
    extra = {"x-constraints": list(spec.constraints)} if spec.constraints else {}
    model = create_model(
        f"{spec.rule_type}Params",
        __config__=ConfigDict(
            **{**_PARAMS_CONFIG, "extra": "allow" if spec.check else "forbid"},
            title=f"{spec.rule_type}Params",
            json_schema_extra=extra or None,
        ),
        __doc__=spec.description,
        __validators__=validators,
        **fields,
    )
    return model


def _rule_union(names: list[str], params: Mapping[str, type[BaseModel]], title: str) -> Any:
    """``Annotated[Union[...], Discriminator]`` over ``{rule_type, params}`` objects."""
    variants = []
    for name in names:
        variant = create_model(
            f"{title}{name}",
            __config__=ConfigDict(extra="forbid", title=f"{name} {title.lower()}"),
            rule_type=(Annotated[Literal[name], BeforeValidator(_canonical_rule)], ...),
            params=(params[name] | None, None),
        )
        variants.append(Annotated[variant, Tag(name)])
    return Annotated[
        Union[tuple(variants)],  # noqa: UP007 - a runtime-built union
        Discriminator(_rule_tag(frozenset(names))),
    ]


def build_models(rules: Mapping[str, RuleSpec], parse_constraint) -> RuleModels:
    """Generate the models of every rule in ``rules`` (a rule with a ``rules`` parameter
    holds sub-rules of the other rules only)."""
    nestable = [
        name for name, spec in rules.items() if not _holds_rules(spec) and spec.check is None
    ]
    params: dict[str, type[BaseModel]] = {}
    for name in nestable:
        params[name] = _params_model(rules[name], None, parse_constraint)
    sub_rule = _rule_union(nestable, params, "SubRule")
    for name, spec in rules.items():
        if name not in params:
            params[name] = _params_model(spec, sub_rule, parse_constraint)
    request = TypeAdapter(_rule_union(list(rules), params, "Rule"))
    return RuleModels(params, request, TypeAdapter(sub_rule), rules)


def build_single(spec: RuleSpec, parse_constraint) -> TypeAdapter:
    """The adapter of one rule's ``{rule_type, params}`` object alone (a rule that holds no
    sub-rules): the same params model and rule-type check as that rule's variant in
    ``build_models``' union, built in a few milliseconds instead of every rule's. It accepts
    exactly what the union accepts for this rule; its errors are not translated (the caller
    asks the full models for the contract's message)."""
    params = _params_model(spec, None, parse_constraint)
    name = spec.rule_type
    variant = create_model(
        f"Rule{name}",
        __config__=ConfigDict(extra="forbid", title=f"{name} rule"),
        rule_type=(Annotated[Literal[name], BeforeValidator(_canonical_rule)], ...),
        params=(params | None, None),
    )
    return TypeAdapter(variant)


_VALUE_ADAPTERS: dict[ParamSpec, TypeAdapter] = {}


def value_adapter(spec: ParamSpec) -> TypeAdapter:
    """The check of one value of a plain (int, float or choice) parameter: the very field
    type its rule's params model uses (type, bounds, a choice's canonical case), so a
    grid's values are checked where the registry checks a run's (built once per spec)."""
    adapter = _VALUE_ADAPTERS.get(spec)
    if adapter is None:
        annotation, _ = _field(spec, None)
        adapter = _VALUE_ADAPTERS[spec] = TypeAdapter(
            annotation, config=ConfigDict(allow_inf_nan=False)
        )
    return adapter


_LIST_ADAPTERS: dict[ParamSpec, TypeAdapter] = {}


def values_adapter(spec: ParamSpec) -> TypeAdapter:
    """``value_adapter``'s check for a whole list of values in one call (a grid's list:
    up to 100,000 values are checked in pydantic-core, not one Python call each)."""
    adapter = _LIST_ADAPTERS.get(spec)
    if adapter is None:
        annotation, _ = _field(spec, None)
        adapter = _LIST_ADAPTERS[spec] = TypeAdapter(
            list[annotation], config=ConfigDict(allow_inf_nan=False)
        )
    return adapter


def holds_rules(spec: RuleSpec) -> bool:
    """Whether a rule's parameters include sub-rules (a COMPOSITE)."""
    return _holds_rules(spec)


def _holds_rules(spec: RuleSpec) -> bool:
    return any(p.type == "rules" for p in spec.params)


__all__ = [
    "CONSTRAINT_ERROR",
    "LENGTH_ERROR",
    "RuleModels",
    "build_models",
    "build_single",
    "canonical_rule_type",
    "holds_rules",
    "value_adapter",
    "values_adapter",
]
