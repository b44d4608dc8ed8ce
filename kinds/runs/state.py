"""A run's row as its Job sees it: the guarded, forward-only status transitions and the
stored request, in plain SQL (``work.transitions``, ``store.dbapi``) so a Job imports no
SQLAlchemy. ``kinds.runs.store`` re-exports the transitions for the web and the reaper, which call
them with an SQLAlchemy session.

Every transition is one ``UPDATE … WHERE run_id = ? AND status IN (expected)``; it returns
False when the row was not in an expected state, so a duplicate or late delivery can never
move a run backwards or overwrite a finished result. Nothing here commits: the caller owns
the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from store.clock import utcnow
from work.kind import StoredItem
from work.status import RunStatus
from work.transitions import (
    STARTABLE,
    fail_item,
    start_item,
    stored_item,
    succeed_item,
    transition,
)

TABLE = "backtest_results"
"""The runs' table (``store.models.BacktestRun``)."""


def _transition(handle: Any, run_id: str, expected: Iterable[str], **values: object) -> bool:
    return transition(handle, TABLE, "run_id", run_id, expected, **values)


def mark_running(handle: Any, run_id: str, worker: str) -> bool:
    """PENDING → RUNNING (or RUNNING again, when an abandoned run is retried)."""
    return start_item(handle, TABLE, "run_id", run_id, worker)


def mark_succeeded(
    handle: Any,
    run_id: str,
    *,
    result_json: str,
    metrics: dict,
    data_hash: str | None,
    engine_version: str | None,
    cache_key: str | None = None,
) -> bool:
    """RUNNING → SUCCEEDED with the result and its cache key (``kinds.runs.cache``); False
    if the run was not RUNNING."""
    return succeed_item(
        handle,
        TABLE,
        "run_id",
        run_id,
        result_json=result_json,
        metrics_json=json.dumps(metrics, allow_nan=False),
        data_hash=data_hash,
        engine_version=engine_version,
        cache_key=cache_key,
    )


def mark_failed(
    handle: Any,
    run_id: str,
    message: str,
    *,
    expected: Iterable[str] = STARTABLE,
    engine_version: str | None = None,
) -> bool:
    """PENDING/RUNNING → FAILED with a user-safe message; False if already finished."""
    return fail_item(
        handle, TABLE, "run_id", run_id, message, expected, engine_version=engine_version
    )


def mark_cancelled(handle: Any, run_id: str) -> bool:
    """PENDING → CANCELLED; False if the run was not PENDING (a Job started it, or it is
    finished). A Job that takes a cancelled run's message refuses ``mark_running``."""
    return _transition(
        handle, run_id, (RunStatus.PENDING,), status=RunStatus.CANCELLED, completed_at=utcnow()
    )


def stored_run(handle: Any, run_id: str) -> StoredItem | None:
    """The run's status, attempts and stored request (``request_json``), or None."""
    return stored_item(handle, TABLE, "run_id", run_id, "request_json")
