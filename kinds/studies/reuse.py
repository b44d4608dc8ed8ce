"""Reused trials: a trial whose result is already known is not evaluated again.

Two trials are the same when the backtests they stand for are: the trial's run request
(``contract.trial_run_request``: the study's run fields with the trial's params, normalised
by the run contract) on the same data file bytes, under the same engine and result schema
versions — the run result cache's key (``kinds.runs.cache.cache_key``), so a trial, a
sweep combination and a single run with the same parameters are one computation. A batch
copies the metrics of an evaluated trial with the same key — from its own study (a sampler
asking a point twice, within a batch or across batches) and, unless the study says
``cache: false``, from the owner's other studies — and derives its objective values from
them under its own study's objectives. A copied trial is still a trial: it counts toward
the budget and the sampler is told its values. Pure: the lookup is
``kinds.studies.state.evaluated_trials``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kinds.runs.cache import cache_key
from kinds.runs.contract import RequestError, parse_request
from kinds.studies.bases import base_trial_key, is_base_study
from kinds.studies.contract import breaks_constraint, trial_params, trial_run_request
from kinds.studies.sampling import COMPLETE, PRUNED, Asked, objective_values


@dataclass(frozen=True)
class Evaluated:
    """An evaluated trial with a key: where it is (``<study_id>#<number>``) and its
    metrics."""

    source: str
    metrics: dict[str, Any]


def source_of(study_id: str, number: int) -> str:
    """How ``reused_from`` names a trial."""
    return f"{study_id}#{number}"


def trial_key(stored: dict[str, Any], params: dict[str, Any], data_hash: str) -> str | None:
    """The key of the trial ``params`` of the study ``stored`` on data ``data_hash``; None
    for a trial that breaks a constraint (it is never run) or that the run contract refuses
    (it is evaluated, and fails, as before). A study over another kind's base keys its
    trials by that kind's request (``kinds.studies.bases.base_trial_key``)."""
    if is_base_study(stored):
        return base_trial_key(stored, params, data_hash)
    rule, _ = trial_params(stored, params)
    if breaks_constraint(stored["constraints"], rule) is not None:
        return None
    try:
        request = parse_request({**trial_run_request(stored, params), "charts": False})
    except RequestError:
        return None
    return cache_key(request, data_hash)


def copied(
    objectives: list[dict], metrics: dict[str, Any], source: str
) -> tuple[str, list[float] | None, str]:
    """(state, values, reused_from) of a trial copying ``metrics``: COMPLETE with
    the values of this study's ``objectives``, or PRUNED when one is undefined."""
    values = objective_values(objectives, metrics)
    return (PRUNED if values is None else COMPLETE), values, source


def plan(
    study_id: str, asked: list[Asked], keys: dict[int, str | None], found: dict[str, Evaluated]
) -> tuple[list[Asked], dict[int, str]]:
    """(the trials to evaluate, ``number → source`` of the ones to copy): a trial whose key
    was ``found`` copies it; a later trial of the batch with the same key as an earlier one
    copies that one once it is evaluated (``source_of(study_id, first)``)."""
    evaluate, copies, first = [], {}, {}
    for trial in asked:
        key = keys.get(trial.number)
        if key is not None and key in found:
            copies[trial.number] = found[key].source
        elif key is not None and key in first:
            copies[trial.number] = source_of(study_id, first[key])
        else:
            if key is not None:
                first[key] = trial.number
            evaluate.append(trial)
    return evaluate, copies
