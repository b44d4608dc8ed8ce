"""A study as the API shows it, from its rows (no I/O): status, counts, the best trial (one
objective) or the Pareto front (two), the optimisation history with the best value so far,
parameter importances, the deflated Sharpe ratio of the best trial, the request; the list
summary; the trials as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from adapters.cells import csv_row
from kinds.studies.sampling import (
    COMPLETE,
    COUNTED,
    FAIL,
    PRUNED,
    RUNNING,
    TrialRow,
    best_trials,
)
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


def _rows(trials: list[StudyTrial]) -> list[TrialRow]:
    return [
        TrialRow(t.number, t.state, json.loads(t.params_json), _loads(t.values_json), {})
        for t in trials
    ]


def history(stored: dict[str, Any], trials: list[StudyTrial]) -> list[dict[str, Any]]:
    """Every complete trial in number order with its values and, per objective, the best
    value so far (the optimisation history)."""
    signs = [1 if o["direction"] == "maximize" else -1 for o in stored["objectives"]]
    best: list[float | None] = [None] * len(signs)
    out = []
    for trial in trials:
        values = _loads(trial.values_json)
        if trial.state != COMPLETE or values is None:
            continue
        for i, (sign, value) in enumerate(zip(signs, values, strict=True)):
            if best[i] is None or sign * value > sign * best[i]:
                best[i] = value
        out.append({"number": trial.number, "values": values, "best_so_far": list(best)})
    return out


def detail(
    study: Study,
    trials: list[StudyTrial],
    batches: dict[str, int],
    iso: Iso,
    urls: dict[str, str],
) -> dict[str, Any]:
    """A study as ``GET /api/studies/<id>`` shows it (docs/studies.md)."""
    stored = json.loads(study.request_json)
    states: dict[str, int] = {}
    for trial in trials:
        states[trial.state] = states.get(trial.state, 0) + 1
    rows = _rows(trials)
    by_number = {t.number: t for t in trials}
    best = [trial_dict(by_number[n], iso) for n in best_trials(stored, rows)]
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
        "counts": counts(study, states),
        "trials_reused": sum(1 for t in trials if t.reused_from),
        "batches": batches,
        "best": None if two or not best else best[0],
        "best_trials": best,
        "pareto_front": best if two else None,
        "history": history(stored, trials),
        "importances": _loads(study.importances_json),
        "deflated": _loads(study.deflated_json),
        "request": stored,
        "data_hash": study.data_hash,
        "engine_version": study.engine_version,
        "created_by": study.created_by,
        "shared": bool(study.shared),
        **urls,
    }


def trials_csv(study: Study, trials: list[StudyTrial]) -> str:
    """One row per trial: number, state, each searched parameter, each objective's value,
    every metric a sweep stores (``sweep_metric_keys()``), retried_as, reused_from."""
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
    for trial in trials:
        params = json.loads(trial.params_json)
        values = _loads(trial.values_json) or [None] * len(objectives)
        metrics = _loads(trial.metrics_json) or {}
        writer.writerow(
            csv_row([trial.number, trial.state, *(params.get(n) for n in names), *values,
                     *(metrics.get(m) for m in keys), trial.retried_as,
                     trial.reused_from])
        )  # fmt: skip
    return buffer.getvalue()
