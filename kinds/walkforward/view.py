"""A walk-forward as the API shows it, from its rows (no I/O): status and progress derived
from the folds and their training sweeps, each fold's windows, choice and metrics, the
stitched out-of-sample result and WFE once every fold SUCCEEDED (stored by the completing
fold's Job, else computed the same way: ``kinds.walkforward.outcome``), parameter stability; the
list summary (which reads no fold results); the folds CSV.

A fold's shown status is its row's, except while its job has not started: RUNNING once its
training sweep started, FAILED as soon as a chunk of that sweep FAILED (its job, when it
runs, stores FAILED too). The walk-forward is FAILED when a fold is, SUCCEEDED when every
fold is, PENDING while every fold is, else RUNNING.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any

from adapters.cells import csv_row
from adapters.walkforward import stability
from kinds.sweeps.store import SweepState
from kinds.walkforward.outcome import outcome
from metrics import SWEEP_METRIC_KEYS
from store.models import WalkForward, WalkForwardFold
from work.status import RunStatus

Iso = Callable[[datetime | None], str | None]

SWEEP_FAILED = "the fold's training sweep failed (see its sweep)"


def fold_status(row: WalkForwardFold, sweep: SweepState | None) -> tuple[str, str | None]:
    """A fold's shown status and error (module docstring)."""
    if row.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        return row.status, row.error_message
    if sweep is not None and sweep.chunks.get(RunStatus.FAILED):
        return RunStatus.FAILED, SWEEP_FAILED
    if row.status == RunStatus.RUNNING or (sweep is not None and sweep.status != "PENDING"):
        return RunStatus.RUNNING, None
    return RunStatus.PENDING, None


def overall(statuses: Sequence[str]) -> str:
    """The walk-forward's status from its folds' shown statuses."""
    if RunStatus.FAILED in statuses:
        return RunStatus.FAILED
    if statuses and all(s == RunStatus.SUCCEEDED for s in statuses):
        return RunStatus.SUCCEEDED
    if all(s == RunStatus.PENDING for s in statuses):
        return RunStatus.PENDING
    return RunStatus.RUNNING


def _result(row: WalkForwardFold) -> dict[str, Any] | None:
    return json.loads(row.result_json) if row.result_json else None


class Folded:
    """A walk-forward's folds read once: shown statuses, progress, finish time; the folds'
    results (``results``) and the outcome (``outcome``) are read when asked for.

    ``sweeps`` may hold other walk-forwards' sweeps too (a list reads every listed one's in
    one query): only its own folds' are kept, so its progress and finish time are its own.
    """

    def __init__(
        self, row: WalkForward, folds: Sequence[WalkForwardFold], sweeps: dict[str, SweepState]
    ) -> None:
        self.row = row
        self.folds = list(folds)
        self.sweeps = {f.sweep_id: sweeps[f.sweep_id] for f in self.folds if f.sweep_id in sweeps}
        self.shown = [fold_status(f, sweeps.get(f.sweep_id)) for f in self.folds]
        self.status = overall([status for status, _ in self.shown])

    @cached_property
    def results(self) -> list[dict[str, Any] | None]:
        return [_result(f) for f in self.folds]

    @property
    def folds_done(self) -> int:
        return sum(1 for status, _ in self.shown if status == RunStatus.SUCCEEDED)

    @property
    def combos_done(self) -> int:
        return sum(s.done for s in (self.sweeps.get(f.sweep_id) for f in self.folds) if s)

    @property
    def finished_at(self) -> datetime | None:
        if self.status not in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return None
        ends = [f.completed_at for f in self.folds if f.completed_at]
        ends += [s.completed_at for s in self.sweeps.values() if s.completed_at]
        return max(ends) if ends else None

    @cached_property
    def outcome(self) -> tuple[dict[str, Any] | None, float | None]:
        """(``oos``, ``wfe``) once every fold SUCCEEDED (the stored outcome, else computed
        as the completing fold's Job computes it), else (None, None)."""
        if self.status != RunStatus.SUCCEEDED:
            return None, None
        if self.row.oos_json is not None:
            return json.loads(self.row.oos_json), self.row.wfe
        folds = [
            (f.fold_no, json.loads(f.payload_json), result)
            for f, result in zip(self.folds, self.results, strict=True)
        ]
        return outcome(json.loads(self.row.request_json), folds)


def summary(folded: Folded, iso: Iso, url: str) -> dict[str, Any]:
    """A walk-forward as ``GET /api/walkforward`` lists it."""
    row = folded.row
    stored = row.oos_json is not None
    oos, wfe = (None, row.wfe) if stored else folded.outcome
    oos_return = (
        row.oos_return_pct if stored else (oos or {}).get("metrics", {}).get("total_return_pct")
    )
    return {
        "walkforward_id": row.walkforward_id,
        "status": folded.status,
        "ticker": row.ticker,
        "rule_type": row.rule_type,
        "metric": row.metric,
        "folds": row.folds,
        "folds_done": folded.folds_done,
        "combos_per_fold": row.combos_per_fold,
        "created_at": iso(row.created_at),
        "finished_at": iso(folded.finished_at),
        "oos_return_pct": oos_return,
        "wfe": wfe,
        "url": url,
        "created_by": row.created_by,
        "shared": bool(row.shared),
    }


def _window(message: dict[str, Any], name: str) -> dict[str, Any]:
    window = message[name]
    return {"start": window["start"], "end": window["end"], "bars": window["bars"]}


def fold_dict(fold: WalkForwardFold, shown: tuple[str, str | None], result: dict | None) -> dict:
    """One fold as the API shows it."""
    message = json.loads(fold.payload_json)
    return {
        "fold": fold.fold_no,
        "status": shown[0],
        "sweep_id": fold.sweep_id,
        "train": _window(message, "train"),
        "test": _window(message, "test"),
        "params": result["params"] if result else None,
        "train_metric": result["train_metric"] if result else None,
        "train_metrics": result["train_metrics"] if result else None,
        "test_metrics": result["test_metrics"] if result else None,
        "test_trades": result["test_trades"] if result else None,
        "error_message": shown[1],
    }


def detail(folded: Folded, iso: Iso, csv_url: str) -> dict[str, Any]:
    """A walk-forward as ``GET /api/walkforward/<id>`` shows it (docs/walkforward.md)."""
    row = folded.row
    request = json.loads(row.request_json)
    oos, wfe = folded.outcome
    errors = [error for status, error in folded.shown if status == RunStatus.FAILED and error]
    return {
        "walkforward_id": row.walkforward_id,
        "status": folded.status,
        "created_at": iso(row.created_at),
        "finished_at": iso(folded.finished_at),
        "error_message": errors[0] if errors else None,
        "request": request,
        "data_hash": row.data_hash,
        "engine_version": row.engine_version,
        "progress": {
            "folds": row.folds,
            "folds_done": folded.folds_done,
            "combos_total": row.combos_per_fold * row.folds,
            "combos_done": folded.combos_done,
        },
        "folds": [
            fold_dict(f, shown, result)
            for f, shown, result in zip(folded.folds, folded.shown, folded.results, strict=True)
        ],
        "oos": oos,
        "wfe": wfe,
        "stability": stability(
            list(request["grid"]), [r["params"] if r else None for r in folded.results]
        ),
        "folds_csv_url": csv_url,
        "created_by": row.created_by,
        "shared": bool(row.shared),
    }


def folds_csv(folded: Folded) -> str:
    """One row per fold: windows, the chosen value of each grid parameter, the training
    metric and the test metrics (``SWEEP_METRIC_KEYS``), the test trades; floats as
    ``adapters.cells`` writes them."""
    request = json.loads(folded.row.request_json)
    names = list(request["grid"])
    metric = folded.row.metric
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "fold", "status", "train_start", "train_end", "train_bars",
            "test_start", "test_end", "test_bars", *names, f"train_{metric}",
            *(f"test_{name}" for name in SWEEP_METRIC_KEYS), "test_trades",
        ]
    )  # fmt: skip
    for fold, shown, result in zip(folded.folds, folded.shown, folded.results, strict=True):
        message = json.loads(fold.payload_json)
        params = result["params"] if result else {}
        tests = result["test_metrics"] if result else {}
        writer.writerow(
            csv_row([
                fold.fold_no, shown[0],
                message["train"]["start"], message["train"]["end"], message["train"]["bars"],
                message["test"]["start"], message["test"]["end"], message["test"]["bars"],
                *(params.get(name) for name in names),
                result["train_metric"] if result else None,
                *(tests.get(name) for name in SWEEP_METRIC_KEYS),
                result["test_trades"] if result else None,
            ])
        )  # fmt: skip
    return buffer.getvalue()
