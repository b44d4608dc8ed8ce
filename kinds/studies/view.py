"""A study as the API shows it, from its rows (no I/O): status, counts, the best trial (one
objective) or the Pareto front (two; at most ``BEST_TRIALS_SHOWN`` of it), the optimisation
history with the best value so far (at most ``HISTORY_POINTS``), parameter importances, the
deflated Sharpe ratio of the best trial, the request — a document whose size does not grow
with the trials; the list summary; what the trials may be sorted by; the trials as JSON and
CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from adapters.cells import csv_row
from kinds.studies.sampling import COMPLETE, COUNTED, FAIL, PRUNED, RUNNING, best_of
from kinds.studies.store import TrialSummary
from metrics import sweep_metric_keys
from store.models import Study, StudyTrial

Iso = Callable[[datetime | None], str | None]

STATES = (RUNNING, COMPLETE, PRUNED, FAIL)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def trial_dict(trial: StudyTrial, iso: Iso) -> dict[str, Any]:
    """One trial as the API shows it."""
    return {
        "number": trial.number,
        "state": trial.state,
        "params": json.loads(trial.params_json),
        "values": _loads(trial.values_json),
        "metrics": _loads(trial.metrics_json),
        "retried_as": trial.retried_as,
        "reused_from": trial.reused_from,
        "batch_id": trial.batch_id,
        "started_at": iso(trial.started_at),
        "completed_at": iso(trial.completed_at),
    }


def counts(study: Study, states: dict[str, int]) -> dict[str, int]:
    """The trial budget and how many trials are in each state."""
    used = sum(states.get(state, 0) for state in COUNTED)
    return {
        "n_trials": study.n_trials,
        "complete": states.get(COMPLETE, 0),
        "pruned": states.get(PRUNED, 0),
        "running": states.get(RUNNING, 0),
        "failed": states.get(FAIL, 0),
        "remaining": max(study.n_trials - used, 0),
    }


def summary(study: Study, states: dict[str, int], iso: Iso, page_url: str) -> dict[str, Any]:
    """A study as ``GET /api/studies`` lists it."""
    stored = json.loads(study.request_json)
    return {
        "study_id": study.study_id,
        "name": stored.get("name"),
        "status": study.status,
        "paused": bool(study.paused),
        "ticker": study.ticker,
        "rule_type": study.rule_type,
        "sampler": study.sampler,
        "objectives": stored["objectives"],
        "counts": counts(study, states),
        "created_at": iso(study.created_at),
        "completed_at": iso(study.completed_at),
        "created_by": study.created_by,
        "shared": bool(study.shared),
        "url": page_url,
    }


HISTORY_POINTS = 500
"""Most points of the status document's ``history``: beyond, a sample that keeps the best
trials and every improvement of the best so far (``history``)."""

BEST_TRIALS_SHOWN = 50
"""Most trials of a Pareto front the status document shows (``best_trials``)."""


def history(
    stored: dict[str, Any],
    numbers: list[int],
    values: list[list[float]],
    keep: Collection[int] = (),
) -> list[dict[str, Any]]:
    """The optimisation history of the COMPLETE trials ``numbers`` with their ``values`` (in
    number order): each one's values and, per objective, the best value so far; at most
    ``HISTORY_POINTS`` of them. A longer one is sampled: the trials ``keep`` (the best ones
    shown), the trials that improved the best so far (the stepped line stays exact; when
    they are too many, an even share of them), and trials spread evenly over the others (the
    first and the last among them)."""
    signs = [1 if o["direction"] == "maximize" else -1 for o in stored["objectives"]]
    best: list[float | None] = [None] * len(signs)
    so_far = []  # the best so far after each trial: one list per improvement, shared
    improved = []
    for k, found in enumerate(values):
        better = [
            i
            for i, (sign, value) in enumerate(zip(signs, found, strict=True))
            if best[i] is None or sign * value > sign * best[i]
        ]
        if better:
            best = list(best)
            for i in better:
                best[i] = found[i]
            improved.append(k)
        so_far.append(best)
    chosen: Collection[int] = range(len(numbers))
    if len(numbers) > HISTORY_POINTS:
        picked = {k for k, number in enumerate(numbers) if number in keep}
        picked.update(_spread(improved, (HISTORY_POINTS - len(picked)) // 2))
        rest = [k for k in range(len(numbers)) if k not in picked]
        picked.update(_spread(rest, HISTORY_POINTS - len(picked)))
        chosen = sorted(picked)
    return [
        {"number": numbers[k], "values": values[k], "best_so_far": list(so_far[k])} for k in chosen
    ]


def _spread(items: Sequence[int], most: int) -> list[int]:
    """At most ``most`` of ``items`` spread evenly, the first and the last among them."""
    if len(items) <= most:
        return list(items)
    if most <= 1:
        return list(items[-1:]) if most == 1 else []
    last = len(items) - 1
    return [items[round(k * last / (most - 1))] for k in range(most)]


def shown_best(stored: dict[str, Any], trials: TrialSummary) -> tuple[list[int], int]:
    """The numbers of the best trial or of the Pareto front (``sampling.best_of``), at
    most ``BEST_TRIALS_SHOWN`` of a front (spread evenly along its first objective, both
    ends included), and how many trials the front has."""
    front = best_of(stored, trials.numbers, trials.values)
    if len(front) <= BEST_TRIALS_SHOWN:
        return front, len(front)
    on_front = set(front)
    first = {n: v[0] for n, v in zip(trials.numbers, trials.values, strict=True) if n in on_front}
    along = sorted(front, key=lambda n: (first[n], n))
    return sorted(_spread(along, BEST_TRIALS_SHOWN)), len(front)


def detail(
    study: Study,
    trials: TrialSummary,
    best: list[StudyTrial],
    front_size: int,
    batches: dict[str, int],
    iso: Iso,
    urls: dict[str, str],
) -> dict[str, Any]:
    """A study as ``GET /api/studies/<id>`` shows it (docs/api.md): its size does not grow
    with its trials: ``trials`` their summary (``store.trial_summary``), ``best`` the best
    trials shown (``shown_best``) of the ``front_size`` there are; the trials themselves
    are paged by ``GET …/trials``."""
    stored = json.loads(study.request_json)
    shown = [trial_dict(trial, iso) for trial in best]
    two = len(stored["objectives"]) > 1
    return {
        "study_id": study.study_id,
        "name": stored.get("name"),
        "status": study.status,
        "paused": bool(study.paused),
        "error_message": study.error_message,
        "created_at": iso(study.created_at),
        "completed_at": iso(study.completed_at),
        "deadline_at": iso(study.deadline_at),
        "sampler": study.sampler,
        "objectives": stored["objectives"],
        "counts": counts(study, trials.states),
        "trials_reused": trials.reused,
        "batches": batches,
        "best": None if two or not shown else shown[0],
        "best_trials": shown,
        "best_trials_total": front_size,
        "pareto_front": shown if two else None,
        "history": history(stored, trials.numbers, trials.values, {t.number for t in best}),
        "history_limit": HISTORY_POINTS,
        "importances": _loads(study.importances_json),
        "deflated": _loads(study.deflated_json),
        "request": stored,
        "data_hash": study.data_hash,
        "engine_version": study.engine_version,
        "created_by": study.created_by,
        "shared": bool(study.shared),
        **urls,
    }


def sort_keys(stored: dict[str, Any]) -> list[str]:
    """What ``GET …/trials`` may sort a study's trials by: ``number``, ``state``, each
    objective's value (``values.0``, ``values.1``), each searched parameter
    (``params.<name>``) and every metric a sweep stores (``metrics.<key>``)."""
    return [
        "number",
        "state",
        *(f"values.{k}" for k in range(len(stored["objectives"]))),
        *(f"params.{name}" for name in stored["space"]),
        *(f"metrics.{key}" for key in sweep_metric_keys()),
    ]


def trials_csv(study: Study, trials: Iterable[StudyTrial], every: int = 1000) -> Iterator[str]:
    """One row per trial: number, state, each searched parameter, each objective's value,
    every metric a sweep stores (``sweep_metric_keys()``), retried_as, reused_from; yielded
    ``every`` rows at a time (a streamed download)."""
    stored = json.loads(study.request_json)
    names = list(stored["space"])
    objectives = [o["metric"] for o in stored["objectives"]]
    keys = sweep_metric_keys()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["number", "state", *names, *(f"value_{m}" for m in objectives), *keys,
         "retried_as", "reused_from"]
    )  # fmt: skip
    for count, trial in enumerate(trials):
        params = json.loads(trial.params_json)
        values = _loads(trial.values_json) or [None] * len(objectives)
        metrics = _loads(trial.metrics_json) or {}
        writer.writerow(
            csv_row([trial.number, trial.state, *(params.get(n) for n in names), *values,
                     *(metrics.get(m) for m in keys), trial.retried_as,
                     trial.reused_from])
        )  # fmt: skip
        if count % every == every - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
