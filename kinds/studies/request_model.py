"""The pydantic model of a study request's own fields (``space``, ``objectives``,
``sampler``, the budgets) and the translation of its errors into ``RequestError`` naming the
field by its dotted path (``space.period.low``, ``objectives.1.direction``).

The fields a study shares with a run are the run model's (``kinds.runs.contract.
parse_request``); the rule, its params and each space entry's bounds are the registry's
(``kinds.studies.contract``). Loaded on first use by ``parse_study_request``: a consumer
never imports it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kinds.studies.fields import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_OBJECTIVES,
    DEFAULT_PARALLELISM,
    DIRECTIONS,
    MAX_BATCH_SIZE,
    MAX_PARALLELISM,
    MAX_TIMEOUT_S,
    MAX_TRIALS,
    SAMPLERS,
)
from metrics import sweep_metric_keys
from work.errors import RequestError

Number = (
    Annotated[int, Field(strict=True)] | Annotated[float, Field(strict=True, allow_inf_nan=False)]
)
"""A JSON number (not a boolean, not a numeric string); an int stays an int."""


class SpaceEntry(BaseModel):
    """One parameter's search range: ``low`` to ``high`` inclusive, an optional ``step``
    (the values low, low+step, …) or ``log`` scale (not both)."""

    model_config = ConfigDict(extra="forbid")

    low: Number
    high: Number
    step: Annotated[Number, Field(gt=0)] | None = None
    log: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> SpaceEntry:
        if self.low >= self.high:
            raise PydanticCustomError("space_order", "low must be below high")
        if self.log and self.step is not None:
            raise PydanticCustomError("space_log_step", "give step or log, not both")
        if self.log and self.low <= 0:
            raise PydanticCustomError("space_log_low", "a log scale needs low > 0")
        return self


def _sweep_metric(value: str) -> str:
    """A metric a sweep stores (``metrics.sweep_metric_keys()``, read now: a metric
    registered since counts)."""
    if value not in sweep_metric_keys():
        raise PydanticCustomError("metric_choice", "not a sweep metric")
    return value


class Objective(BaseModel):
    """One metric to optimise and its direction."""

    model_config = ConfigDict(extra="forbid")

    metric: Annotated[str, Field(strict=True), AfterValidator(_sweep_metric)]
    direction: Literal[DIRECTIONS]  # type: ignore[valid-type]


class StudyBody(BaseModel):
    """A study's own fields, as users send them."""

    model_config = ConfigDict(extra="ignore", title="StudyRequest")

    space: Annotated[dict[str, SpaceEntry], Field(min_length=1)]
    objectives: Annotated[list[Objective], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: [Objective(**o) for o in DEFAULT_OBJECTIVES]
    )
    sampler: Literal[SAMPLERS] | None = None  # type: ignore[valid-type]
    n_trials: Annotated[int, Field(strict=True, ge=1, le=MAX_TRIALS)] = 100
    timeout_s: Annotated[Number, Field(gt=0, le=MAX_TIMEOUT_S)] | None = None
    parallelism: Annotated[int, Field(strict=True, ge=1, le=MAX_PARALLELISM)] = DEFAULT_PARALLELISM
    batch_size: Annotated[int, Field(strict=True, ge=1, le=MAX_BATCH_SIZE)] = DEFAULT_BATCH_SIZE
    seed: Annotated[int, Field(strict=True, ge=0, le=2**31 - 1)] = 0
    name: Annotated[str, Field(strict=True, max_length=200)] | None = None
    cache: Annotated[bool, Field(strict=True)] = True

    @model_validator(mode="after")
    def _distinct_metrics(self) -> StudyBody:
        metrics = [o.metric for o in self.objectives]
        if len(set(metrics)) != len(metrics):
            raise PydanticCustomError("objectives_twice", "each metric may be optimised once")
        return self


_MESSAGES = {
    "space": "must be an object of {low, high, step?, log?} per parameter",
    "objectives": "must be a list of one or two {metric, direction}",
    "direction": f"must be one of: {', '.join(DIRECTIONS)}",
    "sampler": f"must be one of: {', '.join(SAMPLERS)}",
    "n_trials": f"must be an integer from 1 to {MAX_TRIALS}",
    "timeout_s": f"must be a number of seconds above 0, at most {MAX_TIMEOUT_S}",
    "parallelism": f"must be an integer from 1 to {MAX_PARALLELISM}",
    "batch_size": f"must be an integer from 1 to {MAX_BATCH_SIZE}",
    "seed": "must be a non-negative integer",
    "name": "must be a string of at most 200 characters, or null",
    "low": "must be a finite number",
    "high": "must be a finite number",
    "step": "must be a number above 0",
    "log": "must be true or false",
    "cache": "must be true or false",
}


def _error(error: dict[str, Any]) -> RequestError:
    loc = [str(part) for part in error["loc"] if part not in ("int", "float")]  # union tags
    path = ".".join(loc)[:80] or "body"
    if error["type"] in ("space_order", "space_log_step", "space_log_low", "objectives_twice"):
        return RequestError(path, error["msg"])
    if error["type"] == "extra_forbidden":
        return RequestError(path, f"is not a field of {'.'.join(loc[:-1])}")
    if error["type"] == "missing":
        return RequestError(path, "is required")
    last = next((part for part in reversed(loc) if part in _MESSAGES), loc[0] if loc else "")
    if loc and loc[-1] == "metric":  # the registry's choices now, not at import
        return RequestError(path, f"must be one of: {', '.join(sweep_metric_keys())}")
    return RequestError(path, _MESSAGES.get(last, "is invalid"))


def check_study_fields(payload: dict[str, Any]) -> StudyBody:
    """``payload``'s own study fields, checked.

    :raise RequestError: the first problem, naming its dotted path.
    """
    try:
        return StudyBody.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    raise _error(min(errors, key=lambda e: len(e["loc"])) if not errors[0]["loc"] else errors[0])
