"""The queue panel, ``GET /api/queue``: its numbers, read from RQ, for the shared queue and
each kind's own: waiting / running / failed job counts from the queue and its registries, the
consumers (RQ workers) alive now, and the consumers starting — launched by the local scaler
but not registered with RQ yet (``work.starting``).

Read-only: registry counts are taken without RQ's cleanup pass (that is the reaper's job),
and workers are listed with the JSON serializer the queue uses (the default pickle one fails
on a worker busy with a JSON job). Counts are everyone's; a consumer's ``current_run_id`` is
shown only when the viewer may read that run (``web.ownership``), so the panel names no
other user's work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue
from rq import Queue, Worker
from sqlalchemy import select

from store.clock import utcnow
from store.models import BacktestRun
from web.db import get_session
from web.ownership import may_read, viewer
from web.present import iso_utc
from web.queue import get_run_queue
from work.starting import read_starting

bp = Blueprint("queue", __name__, url_prefix="/api")


def _iso(value: datetime | None) -> str | None:
    """An RQ timestamp (aware UTC; naive means UTC) as ISO-8601 UTC."""
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return iso_utc(value)


def _worker(worker: Worker) -> dict[str, Any]:
    """One consumer as the panel shows it."""
    return {
        "name": worker.name,
        "state": str(worker.get_state()),
        "current_run_id": worker.get_current_job_id(),
        "started_at": _iso(worker.birth_date),
        "last_heartbeat": _iso(worker.last_heartbeat),
    }


def queue_snapshot(queue: Queue) -> dict[str, Any]:
    """Counts and consumers of ``queue``.

    :return: ``{"queue", "queued", "running", "failed", "scheduled", "consumers",
        "workers": [{"name", "state", "current_run_id", "started_at", "last_heartbeat"}],
        "starting", "starting_consumers": [{"name", "started_at"}]}``; ``running`` counts
        RQ's started registry, ``failed`` its failed registry (runs whose process died; a
        backtest that fails normally is FAILED in the database only); ``consumers`` the
        registered workers, ``starting`` the consumers launched but not registered yet.
    :raise redis.exceptions.RedisError: when Redis cannot be reached.
    """
    workers = Worker.all(queue=queue, serializer=queue.serializer)
    workers.sort(key=lambda worker: worker.name)
    names = [worker.name for worker in workers]
    starting = [
        {"name": consumer.name, "started_at": consumer.started_at}
        for consumer in read_starting(queue.connection, queue.name)
        if not consumer.registered_in(names)
    ]
    return {
        "queue": queue.name,
        "queued": queue.count,
        "running": queue.started_job_registry.get_job_count(cleanup=False),
        "failed": queue.failed_job_registry.get_job_count(cleanup=False),
        "scheduled": queue.scheduled_job_registry.get_job_count(cleanup=False),
        "consumers": len(workers),
        "workers": [_worker(worker) for worker in workers],
        "starting": len(starting),
        "starting_consumers": starting,
    }


@bp.get("/queue")
def panel() -> ResponseReturnValue:
    """Queued / running / failed counts and the consumers running now (RQ's registries) of
    the shared queue, and the same of each kind's own queue under its name (``sweeps``)."""
    queues = get_run_queue()
    snapshots = {"": queue_snapshot(queues.queue)} | {
        own: queue_snapshot(queue) for own, queue in queues.own.items()
    }
    if viewer().restricted:
        _hide_unreadable([w for s in snapshots.values() for w in s["workers"]])
    return {**snapshots.pop(""), **snapshots, "checked_at": iso_utc(utcnow())}


def _hide_unreadable(workers: list[dict[str, Any]]) -> None:
    """Blank each worker's ``current_run_id`` unless it names a run the viewer may read
    (another user's run, or a job of another kind: null, as an idle consumer's)."""
    ids = [w["current_run_id"] for w in workers if w["current_run_id"]]
    shown = set()
    if ids:
        statement = select(BacktestRun.run_id, BacktestRun.created_by, BacktestRun.shared)
        rows = get_session().execute(statement.where(BacktestRun.run_id.in_(ids))).all()
        shown = {row.run_id for row in rows if may_read(row)}
    for worker in workers:
        if worker["current_run_id"] not in shown:
            worker["current_run_id"] = None
