"""Evaluating a batch's trials through the study's kind's search (``work.search``,
``Search.score``): a run study's trials in one vectorised pass (the sweeps' batch path,
``kinds.sweeps.evaluate.evaluate``: signals for every parameter set at once, one engine
batch per distinct set of stops), so a trial's metrics equal those of the sweep combination
— and of the single run — with the same parameters, bit for bit; a study over another
kind's base request point by point where that kind has no vectorised evaluator, so a
trial's metrics are those of the same request submitted alone. A trial that breaks one of
the rule's constraints, or that the kind refuses, is PRUNED (never run).

Pure apart from reading the data: no database, no queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kinds.studies.bases import search_for, study_base
from kinds.studies.contract import breaks_constraint, trial_params
from kinds.studies.sampling import COMPLETE, PRUNED, Asked, objective_values


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
) -> tuple[list[Outcome], str | None]:
    """Every asked trial's outcome, and the hash of the data they were computed on (None:
    nothing was computed) (``label``: the batch's id, the pass's run id)."""
    search = search_for(stored.get("kind"))
    outcomes: dict[int, Outcome] = {}
    runnable = []
    for trial in asked:
        rule, _ = trial_params(stored, trial.params)
        if breaks_constraint(stored["constraints"], rule) is not None:
            outcomes[trial.number] = Outcome(trial.number, PRUNED, None, None)
        else:
            runnable.append(trial)
    points = [trial.params for trial in runnable]
    scored = search.score(study_base(stored), points, label=label, strict=False)
    for trial, metrics in zip(runnable, scored.metrics, strict=True):
        values = None if metrics is None else objective_values(stored["objectives"], metrics)
        state = PRUNED if values is None else COMPLETE
        outcomes[trial.number] = Outcome(trial.number, state, values, metrics)
    return [outcomes[trial.number] for trial in asked], scored.data_hash
