"""What a run contributes to searches (``work.search``): its parameter space (the rule's
numeric and choice parameters, then the stops, ``engine.STOP_FIELDS``), the request of one
point (``kinds.sweeps.contract.combo_run_request``, checked by ``parse_request``) and its
evaluator: point by point the run's own computation (``kinds.runs.execute``).

``evaluate_batch`` is the run sweeps' vectorised evaluator (``kinds.sweeps.evaluate``): the
points that share everything but their rule parameters and stops (ticker, rule, dates,
trading fields) are evaluated together, their metrics equal to ``evaluate_one``'s; its
outcomes carry metrics only (``text`` empty, ``result`` the metrics). Run sweeps keep their
own chunks (``kinds.sweeps.contract``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from engine import STOP_FIELDS
from kinds.runs.contract import RequestError, RunRequest, parse_request
from kinds.sweeps.contract import combo_run_request
from metrics import SWEEP_METRIC_KEYS
from rules import RuleValidationError
from rules.registry import spec_for
from work.search import Domain, Outcome, Search

SEARCHABLE_TYPES = ("int", "float", "choice")
"""Rule parameter types a search may vary (``rules.spec.PARAM_TYPES``)."""


def space(base: dict[str, Any]) -> dict[str, Domain]:
    """The searchable names of a run request: its rule's parameters, then the stops.

    :raise RequestError: the base names an unknown rule or bad parameter texts.
    """
    try:
        spec = spec_for(base["rule_type"], base.get("params"))
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    except KeyError:
        raise RequestError("rule_type", "is not a known rule") from None
    params = base.get("params") or {}
    out: dict[str, Domain] = {}
    for param in spec.params:
        if param.type not in SEARCHABLE_TYPES:
            continue
        default = params.get(param.name, param.default)
        if param.type == "choice":
            out[param.name] = Domain("choice", choices=tuple(param.choices), default=default)
        else:
            out[param.name] = Domain(param.type, param.min, param.max, default=default)
    for name in STOP_FIELDS:
        out[name] = Domain("float", 0, None, default=base.get(name))
    return out


def apply(base: dict[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """The run request of one point: ``base`` with the point's rule values and stops,
    checked like a submitted run (its stored form, ``RunRequest.to_dict``).

    :raise RequestError: naming the offending field.
    """
    body = combo_run_request(base, base["ticker"], dict(point))
    for name in ("run_id", "charts", "start_date", "end_date", "timeframe"):
        if name in base:
            body[name] = base[name]
    return parse_request(body).to_dict()


def evaluate_one(request: dict[str, Any]) -> Outcome:
    """One point: the run computed exactly as a submitted one."""
    from kinds.runs.execute import execute
    from kinds.runs.serialize import to_json

    result = execute(RunRequest.from_stored(request))
    text = to_json(result)
    metrics = {key: result.metrics.get(key) for key in SWEEP_METRIC_KEYS}
    return Outcome(request, {"metrics": result.metrics}, text, metrics)


STOPS_AND_PARAMS = ("params", *STOP_FIELDS, "run_id", "charts")
"""What the points of one batch may differ in (the rest is their shared base)."""


def evaluate_batch(requests: Sequence[dict[str, Any]]) -> list[Outcome]:
    """Every request's metrics, the points sharing a base evaluated in one vectorised pass.

    :raise RequestError: a request's data cannot serve it.
    """
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.evaluate import evaluate, metric_rows

    groups: dict[str, list[int]] = {}
    for at, request in enumerate(requests):
        shared = {k: v for k, v in request.items() if k not in STOPS_AND_PARAMS}
        groups.setdefault(json.dumps(shared, sort_keys=True, default=str), []).append(at)
    out: list[Outcome | None] = [None] * len(requests)
    for rows in groups.values():
        first = RunRequest.from_stored(requests[rows[0]])
        frame = market_window(load_market_data(first))
        params = [requests[i]["params"] for i in rows]
        trading = [{name: requests[i].get(name) for name in STOP_FIELDS} for i in rows]
        metrics = metric_rows(evaluate(frame, first, params, trading=trading))
        for i, row in zip(rows, metrics, strict=True):
            out[i] = Outcome(requests[i], {"metrics": row}, "", row)
    return [outcome for outcome in out if outcome is not None]


SEARCH = Search(
    kind="run",
    space=space,
    apply=apply,
    evaluate_one=evaluate_one,
    evaluate_batch=evaluate_batch,
)
"""The run kind's search (``RUN.search``)."""
