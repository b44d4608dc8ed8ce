"""Evaluating a batch's trials: the vectorised batch path of the sweeps
(``kinds.sweeps.evaluate.evaluate``: signals for every parameter set at once, one engine
batch per distinct set of stops), so a trial's metrics equal those of the sweep combination
— and of the single run — with the same parameters, bit for bit. A study over another
kind's base request evaluates through that kind's search protocol (``kinds.studies.bases``:
point by point where the kind has no vectorised evaluator), so a trial's metrics are those
of the same request submitted alone.

Pure apart from reading the ticker's data file: no database, no queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kinds.runs.contract import RunRequest
from kinds.runs.execute import load_market_data, market_window
from kinds.studies.bases import (
    base_data_hash,
    data_hash_of,
    evaluate_requests,
    is_base_study,
    trial_request,
)
from kinds.studies.contract import breaks_constraint, trial_params
from kinds.studies.sampling import COMPLETE, PRUNED, Asked, objective_values
from kinds.sweeps.evaluate import evaluate, metric_rows
from work.errors import RequestError


@dataclass(frozen=True)
class Outcome:
    """One evaluated trial: its state (COMPLETE, or PRUNED with no defined objective or a
    broken constraint), objective values and metrics; its ``kinds.studies.reuse`` key, and
    the trial it copied (None: evaluated here)."""

    number: int
    state: str
    values: list[float] | None
    metrics: dict[str, Any] | None
    eval_key: str | None = None
    reused_from: str | None = None


def evaluate_trials(
    stored: dict[str, Any], asked: list[Asked], label: str
) -> tuple[list[Outcome], str]:
    """Every asked trial's outcome, and the data's hash (``label``: the request's run id,
    the batch's id)."""
    if is_base_study(stored):
        return _evaluate_base_trials(stored, asked)
    request = RunRequest.from_stored({"run_id": label, **stored})
    frame = market_window(load_market_data(request))
    runnable, outcomes = [], {}
    for trial in asked:
        params, stops = trial_params(stored, trial.params)
        if breaks_constraint(stored["constraints"], params) is not None:
            outcomes[trial.number] = Outcome(trial.number, PRUNED, None, None)
        else:
            runnable.append((trial.number, params, stops))
    if runnable:
        rows = metric_rows(
            evaluate(
                frame,
                request,
                [params for _, params, _ in runnable],
                trading=[stops for _, _, stops in runnable],
            )
        )
        for (number, _, _), metrics in zip(runnable, rows, strict=True):
            values = objective_values(stored["objectives"], metrics)
            state = PRUNED if values is None else COMPLETE
            outcomes[number] = Outcome(number, state, values, metrics)
    return [outcomes[trial.number] for trial in asked], frame.data_hash


def _evaluate_base_trials(stored: dict[str, Any], asked: list[Asked]) -> tuple[list[Outcome], str]:
    """``evaluate_trials`` of a study over another kind's base: a point the kind refuses is
    PRUNED (never run); the others are evaluated by the kind's own computation."""
    runnable, outcomes = [], {}
    for trial in asked:
        try:
            runnable.append((trial.number, trial_request(stored, trial.params)))
        except RequestError:
            outcomes[trial.number] = Outcome(trial.number, PRUNED, None, None)
    if not runnable:
        return [outcomes[trial.number] for trial in asked], base_data_hash(stored)
    evaluated = evaluate_requests(stored, [request for _, request in runnable])
    for (number, _), done in zip(runnable, evaluated, strict=True):
        metrics = dict(done.metrics)
        values = objective_values(stored["objectives"], metrics)
        outcomes[number] = Outcome(number, PRUNED if values is None else COMPLETE, values, metrics)
    return [outcomes[trial.number] for trial in asked], data_hash_of(evaluated[0])
