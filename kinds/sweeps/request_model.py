"""The pydantic model of a sweep request's own fields, the translation of its errors into the
contract's ``RequestError`` (our messages, the offending field), and the sweep request's JSON
Schema (``GET /api/schema/sweep``).

A sweep request is a run request without ``run_id``, ``rule_id`` and ``charts``, plus
``tickers``, ``grid`` and ``chunk_size`` (``kinds.sweeps.contract``). Its fields are checked by
two models, each the one authority for its part:

* ``SweepRequestBody`` (here): ``ticker`` or ``tickers``, ``params`` and ``grid`` as shapes,
  ``chunk_size``;
* ``kinds.runs.request_model.RunRequestBody``: every field shared with a run (dates, trading
  parameters), through ``kinds.runs.contract.parse_request`` on each ticker's first combination.

What depends on the rule (which parameters exist, their values and ranges, constraints) is
the registry's: ``rules.validate_rule`` and ``kinds.sweeps.grid``. The JSON Schema is assembled
from the same models: the run request's schema (shared fields and the rules' generated
params models), this model's, and a grid entry per sweepable parameter.

``kinds.sweeps.contract.parse_sweep_request`` imports this module on first use, so importing the
contract stays free of pydantic (a consumer never loads it). Like ``kinds.runs.request_model``,
the model is built when the module is imported (a few milliseconds, once per process; a
benchmark imports it before its clock starts), so validating costs microseconds.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kinds.runs.contract import RequestError
from kinds.sweeps.fields import (
    CHUNK_SIZE_MAX,
    CHUNK_SIZE_MIN,
    CSCV_BLOCKS,
    CSCV_BLOCKS_MAX,
    DEFAULT_CHUNK_SIZE,
    MAX_TICKERS,
    SUBMISSION_FIELDS,
    SWEEP_FIELDS,
)
from kinds.sweeps.grid import GRID_MESSAGE, MAX_COMBOS, RANGE_PATTERN, SWEPT_TRADING

STAGES = ("tickers", "params", "grid", "chunk_size", "cscv_blocks")
"""The order ``parse_sweep_request`` reports this model's problems in. The registry's checks
come between them (the rule after the tickers, params' values after params, the grid's
entries after the grid) and the run fields' last."""

_RANGE_SCHEMA = {"type": "string", "pattern": RANGE_PATTERN}
_GRID_ENTRY_SCHEMA = {
    "anyOf": [{"type": "array", "minItems": 1}, _RANGE_SCHEMA],
    "description": 'a list of values or a "start:stop:step" range (stop included)',
}


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _clean_ticker(value: str) -> str:
    cleaned = value.strip().upper()
    if not cleaned:
        raise PydanticCustomError("ticker_blank", "must be a non-empty string")
    return cleaned


def _no_repeats(tickers: list[str]) -> list[str]:
    for index, ticker in enumerate(tickers):
        if ticker in tickers[:index]:
            raise PydanticCustomError(
                "ticker_twice", "{ticker} appears twice", {"index": index, "ticker": ticker}
            )
    return tickers


def _unique_in_order(value: Any, handler: ValidatorFunctionWrapHandler) -> list[str]:
    """The tickers, none given twice; a repeat before the first item that is no ticker is
    the first problem (what is wrong is reported in the order the tickers are given)."""
    try:
        tickers = handler(value)
    except ValidationError as exc:
        locs = [error["loc"] for error in exc.errors()]
        if all(locs):  # only items at fault, the list itself is fine
            first_bad = min(loc[0] for loc in locs)
            if first_bad:
                _no_repeats(handler(value[:first_bad]))
        raise
    return _no_repeats(tickers)


def _none_is_unset(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """null means "not given" (the default applies); anything else is checked."""
    return None if value is None else handler(value)


def _no_default(schema: dict[str, Any]) -> None:
    """Leave a field's placeholder ``None`` out of its schema (it means "not given")."""
    schema.pop("default", None)


def _unique_no_default(schema: dict[str, Any]) -> None:
    _no_default(schema)
    schema["uniqueItems"] = True


Ticker = Annotated[str, Field(strict=True, min_length=1), AfterValidator(_clean_ticker)]
"""One ticker of ``tickers``: stripped and upper-cased."""


class SweepRequestBody(BaseModel):
    """A parameter sweep: a run request's fields (less run_id, rule_id and charts) on one
    ticker or several, a grid of the rule's parameters, and how many combinations one
    queued message holds."""

    # Its own fields only: the shared ones are RunRequestBody's, ignored here; a name
    # neither model knows is refused by parse_sweep_request (kinds.sweeps.contract.SWEEP_FIELDS).

    model_config = ConfigDict(
        extra="ignore",
        title="SweepRequest",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["ticker"],
                    "not": {"required": ["tickers"]},
                    "properties": {"ticker": {"type": "string", "minLength": 1}},
                },
                {"required": ["tickers"], "properties": {"ticker": {"enum": [None, ""]}}},
            ]
        },
    )

    ticker: Annotated[
        Annotated[str, Field(strict=True)] | None,
        BeforeValidator(_blank_to_none),
        Field(description="the one ticker (or give tickers)"),
    ] = None
    tickers: Annotated[
        list[Ticker],
        Field(
            strict=True,
            min_length=1,
            max_length=MAX_TICKERS,
            description="several tickers instead of ticker",
            json_schema_extra=_unique_no_default,
        ),
        WrapValidator(_unique_in_order),
    ] = None  # type: ignore[assignment]  # absent: ticker is used
    params: Annotated[
        dict[Any, Any] | None,
        Field(description="base values of the rule's parameters; the others keep defaults"),
    ] = None
    grid: Annotated[
        dict[str, Annotated[Any, WithJsonSchema(_GRID_ENTRY_SCHEMA)]],
        Field(
            min_length=1,
            description=f"the swept parameters; at most {MAX_COMBOS:,} combinations",
        ),
    ]
    chunk_size: Annotated[
        int,
        Field(
            strict=True,
            ge=CHUNK_SIZE_MIN,
            le=CHUNK_SIZE_MAX,
            description="combinations per queued message",
            json_schema_extra=_no_default,
        ),
        WrapValidator(_none_is_unset),
    ] = None  # type: ignore[assignment]  # absent or null: the caller's default
    random: Annotated[
        Any,
        WithJsonSchema(
            {
                "type": ["object", "null"],
                "properties": {
                    "points": {"type": "integer", "minimum": 1},
                    "seed": {"type": "integer", "minimum": 0},
                },
                "required": ["points"],
            }
        ),
        Field(
            description='rule_type PYTHON: sample the grid, {"points": n, "seed": s} '
            "(n combinations drawn without replacement; seed 0 when left out)"
        ),
    ] = None
    cscv_blocks: Annotated[
        int,
        Field(
            strict=True,
            ge=0,
            le=CSCV_BLOCKS_MAX,
            multiple_of=2,
            description="blocks the window is cut into for the probability of backtest "
            "overfitting (even; 0: off)",
        ),
    ] = CSCV_BLOCKS

    @model_validator(mode="before")
    @classmethod
    def _ticker_or_tickers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            named = data.get("ticker") not in (None, "")
            if "tickers" in data and named:
                raise PydanticCustomError("ticker_and_tickers", "give ticker or tickers, not both")
            if "tickers" not in data and not named:
                raise PydanticCustomError("ticker_missing", "is required (or tickers, a list)")
        return data


_MODEL_ERRORS = {
    "ticker_and_tickers": ("tickers", "give ticker or tickers, not both"),
    "ticker_missing": ("ticker", "is required (or tickers, a list)"),
}
_FIELD_MESSAGES = {
    "ticker": "must be a string",
    "tickers": f"must be a list of 1 to {MAX_TICKERS} tickers",
    "params": "must be an object of base parameter values",
    "grid": GRID_MESSAGE,
    "chunk_size": f"must be an integer from {CHUNK_SIZE_MIN} to {CHUNK_SIZE_MAX}",
    "cscv_blocks": f"must be an even integer from 0 (off) to {CSCV_BLOCKS_MAX}",
}


def _field_message(error: dict[str, Any]) -> tuple[str, str]:
    """(field, message) of one error of ``SweepRequestBody``, in the contract's words."""
    if error["type"] in _MODEL_ERRORS:
        return _MODEL_ERRORS[error["type"]]
    loc = error["loc"]
    if error["type"] == "ticker_twice":
        return f"tickers[{error['ctx']['index']}]", error["msg"]
    if loc[0] == "tickers" and len(loc) > 1:
        return f"tickers[{loc[1]}]", "must be a non-empty string"
    return str(loc[0]), _FIELD_MESSAGES[str(loc[0])]


def _stage(error: dict[str, Any]) -> str:
    loc = error["loc"]
    return "tickers" if not loc or loc[0] == "ticker" else str(loc[0])


class SweepFields:
    """The outcome of checking a sweep body's own fields: ``body`` when they are valid, else
    the first problem of each stage (``STAGES``) that has one."""

    __slots__ = ("body", "problems")

    def __init__(self, body: SweepRequestBody | None, problems: dict[str, RequestError]) -> None:
        self.body = body
        self.problems = problems

    def raise_for(self, stage: str) -> None:
        """Raise the problem of ``stage``, if any."""
        problem = self.problems.get(stage)
        if problem is not None:
            raise problem


def check_sweep_fields(payload: dict[str, Any]) -> SweepFields:
    """Check ``payload``'s own sweep fields with ``SweepRequestBody``; each stage's first
    problem (a list's own error before its items', items by index) as a ``RequestError``."""
    try:
        return SweepFields(SweepRequestBody.model_validate(payload), {})
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    problems: dict[str, RequestError] = {}
    for error in sorted(errors, key=lambda e: (STAGES.index(_stage(e)), len(e["loc"]))):
        stage = _stage(error)
        if stage not in problems:
            problems[stage] = RequestError(*_field_message(error))
    return SweepFields(None, problems)


def _grid_entry(param_schema: dict[str, Any]) -> dict[str, Any]:
    """One parameter's grid entry: a non-empty list of its values, or (a number) a range."""
    entry: dict[str, Any] = {"type": "array", "minItems": 1, "items": param_schema}
    if param_schema.get("type") in ("integer", "number"):
        return {"anyOf": [entry, _RANGE_SCHEMA]}
    return entry


def _partial(params_schema: dict[str, Any]) -> dict[str, Any]:
    """A params model's schema with no required field (the others keep their defaults)."""
    partial = copy.deepcopy(params_schema)
    partial.pop("required", None)
    return partial


def sweep_json_schema(chunk_size: int = DEFAULT_CHUNK_SIZE) -> dict[str, Any]:
    """The JSON Schema of ``POST /api/sweeps``' body; ``chunk_size`` is the default the
    app applies to a request that names none.

    The run request's schema (``kinds.runs.request_model.json_schema``) less the fields a sweep
    does not accept (``kinds.sweeps.contract.SWEEP_FIELDS``: no run_id, rule_id, charts or labels),
    with ``SweepRequestBody``'s fields, and per rule: ``params`` as its
    generated params model with no field required, ``grid`` as one entry per sweepable
    parameter (a list of the parameter's values, or a ``"start:stop:step"`` text for a
    number; sub-rules are fixed)."""
    from kinds.runs.request_model import json_schema

    schema = json_schema()
    own = SweepRequestBody.model_json_schema()
    accepted = (*SWEEP_FIELDS, *SUBMISSION_FIELDS)
    properties = {  # the run fields a sweep accepts (not run_id, charts, nor a run's labels)
        name: value for name, value in schema["properties"].items() if name in accepted
    }
    properties.update(own["properties"])
    properties["chunk_size"]["default"] = chunk_size
    required = [name for name in schema["required"] if name not in own["properties"]]
    schema.update(
        title=own["title"],
        description=own["description"],
        properties=properties,
        required=[*required, *own["required"]],
        oneOf=own["oneOf"],
    )
    percent_cap, *run_rules = schema["allOf"]
    stops = {name: _stop_entry(schema["properties"][name]) for name in SWEPT_TRADING}
    schema["allOf"] = [
        percent_cap,
        *(_rule_part(schema["$defs"], part, stops) for part in run_rules),
    ]
    return schema


def _stop_entry(run_property: dict[str, Any]) -> dict[str, Any]:
    """A swept stop's or scaling field's grid entry: a list of its values (``null`` = off,
    for a stop) or a range."""
    keys = ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    item = (
        {"anyOf": run_property["anyOf"]}
        if "anyOf" in run_property
        else {key: run_property[key] for key in keys if key in run_property}
    )
    entry = {"type": "array", "minItems": 1, "items": item}
    return {"anyOf": [entry, _RANGE_SCHEMA]}


def _rule_part(
    defs: dict[str, Any], run_part: dict[str, Any], stops: dict[str, Any]
) -> dict[str, Any]:
    """A rule's ``if``/``then`` of the run schema, made a sweep's: partial params, and the
    grid entries of its sweepable parameters and of the stops."""
    name = run_part["if"]["properties"]["rule_type"]["const"]
    params = defs[f"{name}Params"]
    sweepable = {
        key: _grid_entry(value)
        for key, value in params.get("properties", {}).items()
        if value.get("type") != "array"  # sub-rules are fixed
    }
    sweepable.update(stops)
    return {
        "if": run_part["if"],
        "then": {
            "properties": {
                "params": {"anyOf": [_partial(params), {"type": "null"}]},
                "grid": {"properties": sweepable, "additionalProperties": False},
            }
        },
    }


__all__ = [
    "STAGES",
    "SweepFields",
    "SweepRequestBody",
    "check_sweep_fields",
    "sweep_json_schema",
]
