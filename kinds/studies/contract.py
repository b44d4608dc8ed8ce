"""The study contract: a run request's fields, a rule with fixed ``params``, a search
``space`` (per parameter an int or float range), one or two ``objectives``, a sampler and
the budgets; the stored request; the batch message a consumer executes; and the run
request of one trial.

A space entry names a parameter of the rule (an EXPR ``$name`` included: its resolved
spec's parameters), a stop (``stop_loss_pct``, ``take_profit_pct``,
``trailing_stop_pct``) or a scaling field (``max_entries``, an int; ``exit_fraction``,
``take_profit_fraction``); its bounds are checked like a sweep's grid values (the
registry's type and range; the engine's domain for a stop or a scaling field). An int
parameter's space is an int range (step an integer, default 1). A searched
``take_profit_fraction`` below 1 needs a take-profit (the request's or a searched one). A
parameter in the space overrides the same name in ``params``. The rule's constraints
("oversold < overbought") are kept with the request: a trial that breaks one is PRUNED,
never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.param_specs import TAKE_PROFIT_FRACTION, TAKE_PROFIT_PCT
from kinds.runs.contract import RequestError, RunRequest, new_run_id, parse_request
from kinds.runs.fields import RUN_ID_PATTERN
from kinds.runs.python_request import is_python
from kinds.studies.fields import (
    DEFAULT_SAMPLER,
    MULTI_SAMPLER,
    SINGLE_OBJECTIVE_ONLY,
    STUDY_FIELDS,
)
from kinds.sweeps.contract import TRADING_FIELDS, _base_params
from kinds.sweeps.grid import (
    SWEPT_TRADING,
    SWEPT_TRADING_SPECS,
    check_value,
    entry_param_specs,
    expand_stop_values,
    fraction_without_take_profit,
    size_param_specs,
    split_swept,
    trading_fields,
)
from rules import RuleSpec, RuleValidationError, parse_constraint, validate_rule
from rules.registry import spec_for
from rules.spec import ParamSpec
from work.errors import unknown_field

STUDY_ID = re.compile(RUN_ID_PATTERN)
"""What a study id looks like (a lower-case UUID4); anything else is no study."""

NUMERIC = ("int", "float")


@dataclass(frozen=True)
class StudyRequest:
    """A validated study: ``base`` is the run request of the space's low corner (every
    shared field normalised by the run contract; None for a study over another kind's
    request, ``kinds.studies.bases``), ``stored`` the normalised request as stored and shown
    (``to_dict``)."""

    study_id: str
    base: RunRequest | None
    stored: dict[str, Any]

    @property
    def n_trials(self) -> int:
        return int(self.stored["n_trials"])

    def to_dict(self) -> dict[str, Any]:
        return dict(self.stored)


def _spec(rule_type: str, params: object) -> RuleSpec:
    try:
        return spec_for(rule_type, params)
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None


def _space_entry(
    spec: RuleSpec, name: str, entry: Any, orders: dict[str, ParamSpec]
) -> dict[str, Any]:
    """One space entry, normalised: its type, bounds (checked like a grid value), step, log.
    ``orders``: the entry order's ``entry_order.<name>`` entries (``entry_param_specs``).

    :raise RequestError: naming ``space.<name>`` (an unknown or non-numeric parameter) or
        ``space.<name>.low``/``.high``/``.step``.
    """
    path = f"space.{name[:40]}"
    if name in SWEPT_TRADING:
        kind = SWEPT_TRADING_SPECS[name].type
        low = expand_stop_values(entry.low, name, f"{path}.low")[0]
        high = expand_stop_values(entry.high, name, f"{path}.high")[0]
    elif name in orders:
        kind = orders[name].type
        low = check_value(orders[name], entry.low, f"{path}.low")
        high = check_value(orders[name], entry.high, f"{path}.high")
    else:
        names = [p.name for p in spec.params]
        if name not in names:
            raise RequestError(path, f"{path} is not a parameter of {spec.rule_type}")
        param = spec.param(name)
        if param.type not in NUMERIC:
            raise RequestError(path, f"{path} is not a number parameter (int or float)")
        kind = param.type
        low = check_value(param, entry.low, f"{path}.low")
        high = check_value(param, entry.high, f"{path}.high")
    step = entry.step
    if kind == "int":
        if step is not None and step != int(step):
            raise RequestError(f"{path}.step", f"{path}.step must be an integer")
        step = None if step is None else int(step)
    return {"type": kind, "low": low, "high": high, "step": step, "log": entry.log}


def _python_space(
    payload: dict[str, Any], entries: dict[str, Any]
) -> tuple[str, dict[str, Any], dict[str, dict[str, Any]]]:
    """(rule type, base params, space) of a PYTHON study: the strategy's code, class and
    ``params`` checked as a PYTHON run's, each space entry naming a class attribute
    (``kinds.runs.python_request.check_attributes``), an int range when ``low``, ``high``
    and ``step`` are whole numbers, else a float one.

    :raise RequestError: naming ``strategy_code``, ``params.<name>`` or ``space.<name>``.
    """
    from kinds.runs.python_request import (
        RULE_TYPE,
        check_attributes,
        check_class,
        check_code,
        check_params,
    )

    code = check_code(payload.get("strategy_code"))
    class_name = check_class(payload.get("strategy_class"))
    base = check_params(payload.get("params"))
    check_attributes(code, class_name, base, "params")
    try:
        check_params(dict.fromkeys(entries))
    except RequestError as exc:
        raise RequestError("space", exc.message) from None
    check_attributes(code, class_name, sorted(entries), "space")
    space = {}
    for name, entry in entries.items():
        whole = (
            all(
                isinstance(value, int) or (isinstance(value, float) and value.is_integer())
                for value in (entry.low, entry.high, entry.step if entry.step is not None else 1)
            )
            and isinstance(entry.low, int)
            and isinstance(entry.high, int)
        )
        step = entry.step if not whole or entry.step is None else int(entry.step)
        space[name] = {
            "type": "int" if whole else "float",
            "low": entry.low if whole else float(entry.low),
            "high": entry.high if whole else float(entry.high),
            "step": step,
            "log": entry.log,
        }
    return RULE_TYPE, base, space


def _check_take_profit_fraction(space: dict[str, dict[str, Any]], payload: dict) -> None:
    """A searched ``take_profit_fraction`` that may go below 1 needs a take-profit at every
    trial: the request's or a searched one (docs/execution.md, "Scaling in and out").

    :raise RequestError: naming ``space.take_profit_fraction``, worded as a run's.
    """
    entry = space.get(TAKE_PROFIT_FRACTION.name)
    if entry is None or entry["low"] == 1:
        return
    if TAKE_PROFIT_PCT.name in space or payload.get(TAKE_PROFIT_PCT.name) is not None:
        return
    raise fraction_without_take_profit(f"space.{TAKE_PROFIT_FRACTION.name}")


def _objectives(body: Any) -> list[dict[str, str]]:
    return [{"metric": o.metric, "direction": o.direction} for o in body.objectives]


def _sampler(body: Any, objectives: list) -> str:
    sampler = body.sampler or (DEFAULT_SAMPLER if len(objectives) == 1 else MULTI_SAMPLER)
    if sampler in SINGLE_OBJECTIVE_ONLY and len(objectives) > 1:
        raise RequestError("sampler", f"{sampler} optimises one objective; use nsga2 or tpe")
    return sampler


def parse_study_request(payload: object) -> StudyRequest:
    """Validate a run study request body (a decoded JSON object); a study over another
    kind's ``base`` request is ``kinds.studies.bases.parse_base_study``'s.

    :raise RequestError: for the first problem, in the order: unknown fields, the study's
        own fields (``kinds.studies.request_model``), the rule, params, each space entry,
        then the run fields; naming the field by its dotted path.
    """
    from kinds.studies.request_model import check_study_fields  # pydantic: on first use

    if not isinstance(payload, dict):
        raise RequestError("body", "must be a JSON object")
    unknown = sorted(set(payload) - set(STUDY_FIELDS))
    if unknown:
        raise RequestError(*unknown_field(unknown[0], "study request"))
    body = check_study_fields(payload)
    if is_python(payload.get("rule_type")):
        rule_type, base, space = _python_space(payload, body.space)
        constraints: list[str] = []
    else:
        try:
            rule_type = validate_rule(payload.get("rule_type"), None)[0]
        except RuleValidationError as exc:
            raise RequestError(exc.field, exc.message) from None
        if payload.get("params") is not None and not isinstance(payload["params"], dict):
            raise RequestError("params", "must be an object of parameter values")
        spec = _spec(rule_type, payload.get("params"))
        base = _base_params(spec, payload.get("params"), body.space)
        orders = {
            **entry_param_specs(payload.get("entry_order")),
            **size_param_specs(payload.get("size_expr")),
        }
        space = {name: _space_entry(spec, name, e, orders) for name, e in body.space.items()}
        constraints = list(spec.constraints)
    _check_take_profit_fraction(space, payload)
    lows, trading = split_swept({name: entry["low"] for name, entry in space.items()})
    base = {name: lows.get(name, value) if value is None else value for name, value in base.items()}
    shared = {name: payload[name] for name in TRADING_FIELDS if name in payload}
    stops = trading_fields(trading, shared.get("entry_order"), shared.get("size_expr"))
    run = {**shared, **stops, "ticker": payload.get("ticker"), "rule_type": rule_type}
    base_request = parse_request({**run, "params": {**base, **lows}}, strict=True)
    searched = [name for name in stops if name not in ("entry_order", "size_expr")]  # normalised
    fields = base_request.to_dict()
    stored = {
        "ticker": base_request.ticker,
        "rule_type": rule_type,
        "params": base,
        **{
            name: fields[name] for name in TRADING_FIELDS if name in fields and name not in searched
        },
        **{name: shared[name] for name in searched if name in shared},
        "space": space,
        "constraints": constraints,
        **own_stored(body),
    }
    return StudyRequest(new_run_id(), base_request, stored)


def own_stored(body: Any) -> dict[str, Any]:
    """A study's own fields as stored (the objectives, the sampler, the budgets…), whatever
    it searches.

    :raise RequestError: naming ``sampler`` when it cannot optimise the objectives.
    """
    objectives = _objectives(body)
    return {
        "objectives": objectives,
        "sampler": _sampler(body, objectives),
        "n_trials": body.n_trials,
        "timeout_s": body.timeout_s,
        "parallelism": body.parallelism,
        "batch_size": body.batch_size,
        "seed": body.seed,
        "name": body.name,
        "cache": body.cache,
    }


def breaks_constraint(constraints: list[str], params: dict[str, Any]) -> str | None:
    """The first of the rule's ``constraints`` that ``params`` break, or None."""
    for text in constraints:
        left, op, right = parse_constraint(text)
        a, b = params[left], params[right]
        if not (a < b if op == "<" else a <= b):
            return text
    return None


def trial_params(stored: dict[str, Any], swept: dict[str, Any]) -> tuple[dict, dict]:
    """A trial's (rule params, stops): the study's fixed params with the trial's values."""
    rule, stops = split_swept(swept)
    return {**stored["params"], **rule}, stops


def trial_run_request(stored: dict[str, Any], swept: dict[str, Any]) -> dict[str, Any]:
    """The ``POST /api/runs`` body that runs one trial as a backtest (with charts): the
    study's run fields, its fixed params with the trial's values (a searched stop replaces
    the request's own)."""
    params, trading = trial_params(stored, swept)
    stops = trading_fields(trading, stored.get("entry_order"), stored.get("size_expr"))
    body = {
        "ticker": stored["ticker"],
        "rule_type": stored["rule_type"],
        "params": params,
        **{name: stored[name] for name in TRADING_FIELDS if name in stored},
        **stops,
        "charts": True,
    }
    return body


def batch_id(study_id: str, batch_no: int) -> str:
    """A batch's id, which is also its RQ job id: ``<study_id>-b<batch_no>``."""
    return f"{study_id}-b{batch_no}"


def study_of(batch: str) -> str:
    """The study id of a batch id (``batch_id``'s inverse)."""
    return batch.rsplit("-b", 1)[0]


def batch_message(study_id: str, batch_no: int) -> dict[str, Any]:
    """The queue message of one batch: it names the batch and its study; what it asks and
    evaluates is read from the database."""
    return {"batch_id": batch_id(study_id, batch_no), "study_id": study_id, "batch_no": batch_no}
