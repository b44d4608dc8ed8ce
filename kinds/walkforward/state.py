"""A fold's row as its Job sees it, in plain SQL on a ``store.dbapi.Tx`` (no SQLAlchemy in
a Job; the web and the reaper pass a session): the guarded fold transitions, the fold's
stored message, storing its result with its SUCCEEDED transition, and the reads of its
training sweep (request, chunk outcomes, result rows). Nothing here commits.
"""

from __future__ import annotations

import json
from typing import Any

from metrics import SWEEP_METRIC_KEYS
from store.clock import utcnow
from store.dbapi import as_tx
from work.status import RunStatus
from work.transitions import ERROR_MESSAGE_MAX, succeed_item

FOLDS = "walkforward_folds"
"""The folds' table (``store.models.WalkForwardFold``)."""


def fail_folds(handle: Any, walkforward_id: str, message: str) -> int:
    """Every PENDING fold of the walk-forward → FAILED (its chunks could not be queued)."""
    return as_tx(handle).execute(
        f"UPDATE {FOLDS} SET status = ?, error_message = ?, completed_at = ? "
        "WHERE walkforward_id = ? AND status = ?",
        (
            RunStatus.FAILED,
            message[:ERROR_MESSAGE_MAX],
            utcnow(),
            walkforward_id,
            RunStatus.PENDING,
        ),
    )


def store_fold_result(handle: Any, fold_id: str, result: dict[str, Any]) -> bool:
    """RUNNING → SUCCEEDED with ``result`` (JSON) in the caller's transaction; False, with
    nothing written, when the fold was not RUNNING."""
    return succeed_item(
        handle,
        FOLDS,
        "fold_id",
        fold_id,
        result_json=json.dumps(result, separators=(",", ":"), allow_nan=False),
    )


def sweep_request(handle: Any, sweep_id: str) -> dict[str, Any] | None:
    """A sweep's stored (normalised) request, or None."""
    row = as_tx(handle).fetchone("SELECT request_json FROM sweeps WHERE sweep_id = ?", (sweep_id,))
    return None if row is None else json.loads(row["request_json"])


def chunk_outcomes(handle: Any, sweep_id: str) -> list[tuple[str, str | None]]:
    """(status, error_message) of each of the sweep's chunks, in chunk order."""
    return as_tx(handle).fetchall(
        "SELECT status, error_message FROM sweep_chunks WHERE sweep_id = ? ORDER BY chunk_no",
        (sweep_id,),
    )


def result_rows(handle: Any, sweep_id: str, metric: str) -> list[tuple]:
    """(combo_no, swept params, num_trades, metric value) of every stored combination of
    the sweep, in combo order (``kinds.walkforward.select.select_best`` reads them)."""
    if metric not in SWEEP_METRIC_KEYS:  # a column name: never from anywhere else
        raise ValueError(f"not a sweep metric: {metric}")
    rows = as_tx(handle).fetchall(
        f"SELECT combo_no, params_json, num_trades, {metric} FROM sweep_results "
        "WHERE sweep_id = ? ORDER BY combo_no",
        (sweep_id,),
    )
    return [(combo, json.loads(params), trades, value) for combo, params, trades, value in rows]


WALKFORWARDS = "walkforwards"
"""The walk-forwards' table (``store.models.WalkForward``)."""


def walkforward_folds(handle: Any, walkforward_id: str) -> tuple[dict | None, list[tuple]]:
    """The walk-forward's stored request and (fold_no, status, payload_json, result_json) of
    each of its folds in fold order."""
    tx = as_tx(handle)
    row = tx.fetchone(
        f"SELECT request_json FROM {WALKFORWARDS} WHERE walkforward_id = ?", (walkforward_id,)
    )
    folds = tx.fetchall(
        f"SELECT fold_no, status, payload_json, result_json FROM {FOLDS} "
        "WHERE walkforward_id = ? ORDER BY fold_no",
        (walkforward_id,),
    )
    return (json.loads(row["request_json"]) if row else None), folds


def store_outcome(handle: Any, walkforward_id: str, oos: dict[str, Any], wfe: float | None) -> bool:
    """Store the outcome of a walk-forward whose folds all SUCCEEDED (once: a second
    writer, the last two folds finishing together, finds it stored and changes nothing)."""
    metrics = oos.get("metrics") or {}
    return (
        as_tx(handle).execute(
            f"UPDATE {WALKFORWARDS} SET oos_json = ?, oos_return_pct = ?, wfe = ? "
            "WHERE walkforward_id = ? AND oos_json IS NULL",
            (
                json.dumps(oos, separators=(",", ":"), allow_nan=False),
                metrics.get("total_return_pct"),
                wfe,
                walkforward_id,
            ),
        )
        == 1
    )
