"""``python -m consumer.reaper``: make every run end SUCCEEDED or FAILED (a CronJob, every
minute or two; the local scaler runs the same pass periodically).

1. RQ's registries, under RQ's own maintenance lock (the one workers take): a run whose pod
   died mid-run sits in the started registry until its heartbeat expires; the cleanup then
   retries it once (``Retry(max=1)`` → back in the list, so KEDA starts a Job) or fails it.
   Ids stuck in the intermediate list are handled the same way.
2. The database against Redis (MySQL is the source of truth, Redis only transport):
   a RUNNING run whose RQ job failed or vanished → FAILED; a PENDING run older than
   ``PENDING_GRACE`` whose job vanished (Redis restarted without persistence, the web died
   between INSERT and enqueue) → enqueued again; whose job failed → FAILED.
No run stays RUNNING or PENDING forever, and none can reach SUCCEEDED twice (the
transitions are guarded). Every registered kind (``consumer.kinds.KINDS``: runs, sweep
chunks, …) rides the same queue and gets the same pass through its reaper hook
(``WorkKind.in_status`` / ``mark_failed`` / ``requeue``); each write is its own transaction.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from datetime import timedelta

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import clean_registries
from rq.worker_registration import clean_worker_registry
from sqlalchemy.orm import Session, sessionmaker

from consumer.kinds import KINDS
from runs.contract import RequestError
from store.models import utcnow
from work.kind import WorkKind
from work.logs import configure_logging, run_context
from work.queue import backtest_queue, redis_connection
from work.status import RunStatus

logger = logging.getLogger("consumer.reaper")

PENDING_GRACE = timedelta(minutes=2)
"""A PENDING run is left alone this long after its INSERT (it is being enqueued)."""
RUNNING_GRACE = timedelta(seconds=30)
"""A RUNNING run is left alone this long after it started (its job is being registered)."""

LOST = "the queue lost this run (its job no longer exists in Redis)"
CRASHED = "the run's process died before it finished (out of memory or killed), twice"


@dataclass
class ReapReport:
    """What one pass did, by run id (or chunk id)."""

    failed: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    rq_cleaned: bool = False


def clean_queue_registries(queue: Queue) -> bool:
    """RQ's registry maintenance for ``queue``; False if another process holds the lock."""
    if not queue.acquire_maintenance_lock():
        return False
    try:
        clean_registries(queue)
        clean_worker_registry(queue)
        handler = Worker([queue], connection=queue.connection, serializer=queue.serializer)
        queue.intermediate_queue.cleanup(handler, queue)
    finally:
        queue.release_maintenance_lock()
    return True


def _job_status(queue: Queue, run_id: str) -> str | None:
    try:
        job = Job.fetch(run_id, connection=queue.connection, serializer=queue.serializer)
        return job.get_status(refresh=False)
    except NoSuchJobError:
        return None


def reconcile(session: Session, queue: Queue, kinds: tuple[WorkKind, ...] = KINDS) -> ReapReport:
    """Bring the rows of ``queue``'s items of every kind in line with what RQ knows (step 2
    above). Rows of other queues sharing the database are their own reapers' business."""
    report = ReapReport()
    for kind in kinds:
        _reconcile_kind(session, queue, kind, report)
    return report


def _fail(session: Session, kind: WorkKind, key: str, message: str, **expected) -> bool:
    with session.begin():
        return kind.mark_failed(session, key, message, **expected)


def _reconcile_kind(session: Session, queue: Queue, kind: WorkKind, report: ReapReport) -> None:
    now = utcnow()
    with session.begin():
        running = kind.stuck(
            session, RunStatus.RUNNING, queue=queue.name, older_than=now - RUNNING_GRACE
        )
        session.expunge_all()  # the rows keep what they loaded; writes come one by one
    for row in running:
        key = kind.key(row)
        with run_context(key):
            status = _job_status(queue, key)
            if status is None or status == JobStatus.FINISHED:
                message = LOST
            elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                message = CRASHED
            else:
                continue
            if _fail(session, kind, key, message, expected=(RunStatus.RUNNING,)):
                logger.warning(
                    "RUNNING %s marked FAILED: %s (rq status %s)", kind.name, message, status
                )
                report.failed.append(key)

    with session.begin():
        pending = kind.stuck(
            session, RunStatus.PENDING, queue=queue.name, older_than=now - PENDING_GRACE
        )
        session.expunge_all()  # the rows keep what they loaded; writes come one by one
    for row in pending:
        key = kind.key(row)
        with run_context(key):
            status = _job_status(queue, key)
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                if _fail(session, kind, key, CRASHED, expected=(RunStatus.PENDING,)):
                    report.failed.append(key)
            elif status is None:
                _requeue(session, queue, kind, row, report)


def _requeue(session: Session, queue: Queue, kind: WorkKind, row, report: ReapReport) -> None:
    key = kind.key(row)
    try:
        kind.requeue(queue, row)
    except DuplicateJobError:
        return
    except (RequestError, ValueError) as exc:
        _fail(session, kind, key, f"stored request is invalid: {exc}")
        report.failed.append(key)
        return
    logger.warning("PENDING %s had no queued job; enqueued again", kind.name)
    report.requeued.append(key)


def reap(connection: Redis, sessions: sessionmaker[Session], queue_name: str | None = None):
    """One full pass: RQ registries, then the database. Returns a ``ReapReport``."""
    queue = backtest_queue(connection, queue_name)
    cleaned = clean_queue_registries(queue)
    with sessions() as session:
        report = reconcile(session, queue)
    report.rq_cleaned = cleaned
    return report


def main() -> int:
    """CronJob entry point: exit 0 after a pass, 1 if Redis or the database failed."""
    from store.db import process_sessionmaker

    configure_logging()
    try:
        report = reap(redis_connection(), process_sessionmaker())
    except Exception:
        logger.exception("reaper pass failed")
        return 1
    logger.info(
        "reaper pass: rq_cleaned=%s failed=%d requeued=%d",
        report.rq_cleaned,
        len(report.failed),
        len(report.requeued),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
