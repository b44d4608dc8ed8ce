"""Helpers shared by the tests/test_dashboard_*.py modules (no tests here): runs stored in
each state, with a real backtest result for SUCCEEDED ones.

The app comes from tests/web/support.py (a temporary SQLite database or the session's
MariaDB, the real test Redis, and the TESTCO data directory).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from rq import Queue, Worker
from sqlalchemy import update

from kinds.runs.contract import RunRequest, parse_request
from kinds.runs.kind import execute_request
from kinds.runs.serialize import to_json
from kinds.runs.store import insert_pending, mark_failed, mark_running, mark_succeeded
from store.models import BacktestRun
from tests.web.support import valid_request
from web.db import get_database


def make_request(**fields: Any) -> RunRequest:
    """A valid TESTCO request with a fresh run_id (``fields`` replace the defaults)."""
    return parse_request({**valid_request(**fields), "run_id": str(uuid.uuid4())})


def add_pending(app: Flask, *, created_by: str | None = None, **fields: Any) -> RunRequest:
    """Insert a PENDING run (of the token ``created_by``); return its request."""
    request = make_request(**fields)
    with get_database(app).sessionmaker.begin() as session:
        insert_pending(session, request, "test-tag", created_by=created_by)
    return request


def add_running(app: Flask, **fields: Any) -> RunRequest:
    """Insert a run and move it to RUNNING (``fields`` as ``add_pending``'s)."""
    request = add_pending(app, **fields)
    with get_database(app).sessionmaker.begin() as session:
        mark_running(session, request.run_id, "worker-1")
    return request


def add_failed(app: Flask, message: str, **fields: Any) -> RunRequest:
    """Insert a run that FAILED with ``message``."""
    request = add_running(app, **fields)
    with get_database(app).sessionmaker.begin() as session:
        mark_failed(session, request.run_id, message)
    return request


def add_succeeded(app: Flask, **fields: Any) -> tuple[RunRequest, dict[str, Any]]:
    """Run a real backtest on the app's data (a PYTHON strategy in the sandbox), store it
    SUCCEEDED; (request, result dict)."""
    request = add_running(app, **fields)
    result = execute_request(request, app.config["DATA_DIR"])
    with get_database(app).sessionmaker.begin() as session:
        mark_succeeded(
            session,
            request.run_id,
            result_json=to_json(result),
            metrics=result.metrics,
            data_hash=result.data_hash,
            engine_version=result.engine_version,
        )
    return request, result.to_dict()


@contextmanager
def registered_worker(queue: Queue, name: str, state: str = "idle") -> Iterator[Worker]:
    """An RQ worker called ``name`` registered on ``queue`` (in ``state``) for the block, as
    a consumer registers itself; unregistered after."""
    worker = Worker([queue], connection=queue.connection, serializer=queue.serializer, name=name)
    worker.register_birth()
    try:
        worker.set_state(state)
        yield worker
    finally:
        worker.register_death()


def replace_result(app: Flask, run_id: str, result: dict[str, Any]) -> None:
    """Store ``result`` as the run's result JSON (e.g. one of an older schema, without a
    field added since)."""
    with get_database(app).sessionmaker.begin() as session:
        session.execute(
            update(BacktestRun)
            .where(BacktestRun.run_id == run_id)
            .values(result_json=json.dumps(result))
        )


def add_with_metrics(app: Flask, metrics: dict[str, Any], **fields: Any) -> RunRequest:
    """Insert a run stored SUCCEEDED with ``metrics`` (and a stub result): for history
    sorting, where the numbers matter and the backtest does not."""
    request = add_running(app, **fields)
    with get_database(app).sessionmaker.begin() as session:
        mark_succeeded(
            session,
            request.run_id,
            result_json="{}",
            metrics=metrics,
            data_hash=None,
            engine_version=None,
        )
    return request
