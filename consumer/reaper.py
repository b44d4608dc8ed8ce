"""``python -m consumer.reaper``: make every run end SUCCEEDED or FAILED (a CronJob, every
minute or two; the local scaler runs the same pass periodically).

1. RQ's registries, under RQ's own maintenance lock (``consumer.maintenance``): entries RQ
   cannot read are quarantined first (``consumer.quarantine``); a run whose pod died
   mid-run sits in the started registry until its heartbeat expires, then the cleanup
   retries it once (``Retry(max=1)`` → back in the list, so KEDA starts a Job) or fails it;
   ids stuck in the intermediate list are handled the same way. A failing step is logged
   and never stops the pass.
2. The database against Redis (MySQL is the source of truth, Redis only transport), also
   when step 1 failed. A RUNNING item whose consumer still beats in the database
   (``heartbeat_at`` younger than ``consumer.liveness.heartbeat_stale()``) is alive and left
   alone whatever Redis lost; only the others are looked at:
   * a RUNNING item whose job vanished (Redis restarted empty) is queued again once
     (``MAX_ATTEMPTS``), then FAILED; whose job failed → FAILED;
   * a PENDING item older than ``PENDING_GRACE`` whose job vanished (Redis restarted without
     persistence, the web died between INSERT and enqueue, the job was quarantined) →
     enqueued again; whose job failed → FAILED;
   * a PENDING or RUNNING item whose job is queued but whose id is in neither the queue list
     nor the intermediate list (``LREM``) → its id is pushed back on the list;
   * an item whose job gave up because the database stayed away
     (``work.queue.DATABASE_UNAVAILABLE``) → queued again, up to ``MAX_DB_REQUEUES`` times,
     then FAILED with ``DB_UNAVAILABLE``.
3. The fair order's bookkeeping (``work.fair.forget_taken``): the client and round entries
   of ids no longer waiting are dropped.
An item is queued again only if it is still PENDING or RUNNING when it is (a user may have
cancelled a run since the pass listed it: a CANCELLED run is never queued again). No run
stays RUNNING or PENDING forever, and none can reach SUCCEEDED twice (the
transitions are guarded: a duplicate delivery is SKIPPED). Every registered kind
(``kinds.registry``) gets the same pass on every queue (the shared RQ_QUEUE and each kind's
own: ``queues_to_reap``)
through its reaper hook (``WorkKind.in_status`` / ``mark_failed`` / ``requeue``); each write is
its own transaction, and one item that cannot be reconciled is logged and skipped.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from functools import partial

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session, sessionmaker

from consumer.liveness import heartbeat_margin, heartbeat_stale, monitoring_interval
from consumer.maintenance import MAINTENANCE_LOCK_TTL, clean_queue_registries
from kinds.registry import all_kinds
from store.models import utcnow
from work.fair import forget_taken
from work.kind import INVALID, NOT_WAITING, REQUEUED, WorkKind, requeue_waiting
from work.logs import configure_logging, run_context
from work.queue import (
    DATABASE_UNAVAILABLE,
    DB_REQUEUES_META,
    backtest_queue,
    failure_of,
    kind_queue_name,
    redis_connection,
)
from work.status import RunStatus
from work.telemetry import REAPER_ACTIONS, REAPER_RECOVERIES, field, kind_label, record
from work.untrusted import InertJob

logger = logging.getLogger("consumer.reaper")

PENDING_GRACE = timedelta(minutes=2)
"""A PENDING run is left alone this long after its INSERT (it is being enqueued)."""
RUNNING_GRACE = timedelta(seconds=30)
"""A RUNNING run is left alone this long after it started (its job is being registered)."""
MAX_ATTEMPTS = 2
"""Deliveries a RUNNING item whose job vanished may have had before it is FAILED (RQ's
``Retry(max=1)`` allows a crashed item the same two)."""
MAX_DB_REQUEUES = 3
"""Times an item whose consumer gave up on the database is queued again."""
INTERMEDIATE_WAIT = timedelta(seconds=60)
"""RQ's wait before an id left in the intermediate list is handled: one cleanup notes it,
the first cleanup this much later retries or fails it (``rq.intermediate_queue``)."""

LOST = "the queue lost this run (its job no longer exists in Redis)"
CRASHED = "the run's process died before it finished (out of memory or killed), twice"
DB_UNAVAILABLE = (
    "the database was unavailable while the run executed, each time it was tried; submit it again"
)
FAILED_JOB = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


def recovery_time(reaper_interval: timedelta) -> timedelta:
    """The longest an item of a consumer that died waits before the reaper, passing every
    ``reaper_interval``, has queued it again (or failed it) — the worst of:

    * its job abandoned in RQ's started registry: the last beat's deadline
      (RQ_JOB_MONITORING_INTERVAL + RQ_HEARTBEAT_MARGIN, ``heartbeat_margin``), then a pass;
    * its job lost with Redis: the database heartbeat gone stale (``heartbeat_stale``, one
      interval after the last beat at most), then a pass;
    * its id stranded in the intermediate list while the dead consumer's maintenance lock
      lives: the lock's life (``MAINTENANCE_LOCK_TTL``), a pass that notes the id,
      ``INTERMEDIATE_WAIT``, a pass that handles it.

    180 s with the local scaler's 30 s passes, 360 s with the CronJob's 2 minutes (the
    consumer's start and the item's compute come on top)."""
    interval = timedelta(seconds=monitoring_interval())
    return max(
        interval + timedelta(seconds=heartbeat_margin()) + reaper_interval,
        heartbeat_stale() + interval + reaper_interval,
        timedelta(seconds=MAINTENANCE_LOCK_TTL) + INTERMEDIATE_WAIT + 2 * reaper_interval,
    )


@dataclass
class ReapReport:
    """What one pass did, by run id (or chunk id)."""

    failed: list[str] = dataclass_field(default_factory=list)
    requeued: list[str] = dataclass_field(default_factory=list)
    rq_cleaned: bool = False
    recoveries: dict[str, int] = dataclass_field(default_factory=dict)
    """Items recovered, by telemetry-hash field (``backtest_reaper_recoveries_total``, by kind
    and action)."""


def _job(queue: Queue, item_id: str) -> Job | None:
    try:
        return Job.fetch(item_id, connection=queue.connection, serializer=queue.serializer)
    except NoSuchJobError:
        return None


def _listed(queue: Queue, item_id: str) -> bool:
    """Is the id waiting in the queue list or being taken (the intermediate list)?"""
    connection = queue.connection
    return any(
        connection.lpos(key, item_id) is not None
        for key in (queue.key, queue.intermediate_queue_key)
    )


def reconcile(
    session: Session, queue: Queue, kinds: tuple[WorkKind, ...] | None = None
) -> ReapReport:
    """Bring the rows of ``queue``'s items of every kind (default: every registered kind)
    in line with what RQ knows (step 2 above). Rows of other queues sharing the database are
    their own reapers' business."""
    report = ReapReport()
    for kind in all_kinds() if kinds is None else kinds:
        _reconcile_kind(session, queue, kind, report)
    return report


def _fail(session: Session, kind: WorkKind, key: str, message: str, **expected) -> bool:
    with session.begin():
        return kind.mark_failed(session, key, message, **expected)


def _stuck(session: Session, kind: WorkKind, status: RunStatus, queue: Queue, grace) -> list:
    """The kind's rows in ``status`` for longer than ``grace``; a RUNNING row whose consumer
    beats (``consumer.liveness``) is alive whatever Redis says, and never listed."""
    now = utcnow()
    beating_since = now - heartbeat_stale() if status == RunStatus.RUNNING else None
    with session.begin():
        rows = kind.stuck(
            session, status, queue=queue.name, older_than=now - grace, beating_since=beating_since
        )
        session.expunge_all()  # the rows keep what they loaded; writes come one by one
    return rows


def _reconcile_kind(session: Session, queue: Queue, kind: WorkKind, report: ReapReport) -> None:
    before = {action: len(getattr(report, action)) for action in REAPER_ACTIONS}
    _reconcile_rows(session, queue, kind, report)
    label = kind_label(kind)
    for action, count in before.items():
        recovered = len(getattr(report, action)) - count
        if recovered:
            report.recoveries[field(REAPER_RECOVERIES, kind=label, action=action)] = recovered


def _reconcile_rows(session: Session, queue: Queue, kind: WorkKind, report: ReapReport) -> None:
    for status, grace in ((RunStatus.RUNNING, RUNNING_GRACE), (RunStatus.PENDING, PENDING_GRACE)):
        for row in _stuck(session, kind, status, queue, grace):
            key = kind.key(row)
            with run_context(key):
                try:
                    _reconcile_row(session, queue, kind, row, status, report)
                except Exception:
                    session.rollback()
                    logger.exception("could not reconcile this %s; next pass", kind.name)


def _reconcile_row(
    session: Session, queue: Queue, kind: WorkKind, row, status: RunStatus, report: ReapReport
) -> None:
    key = kind.key(row)
    job = _job(queue, key)
    job_status = job.get_status(refresh=False) if job is not None else None
    if job is not None and job_status in FAILED_JOB and failure_of(job) == DATABASE_UNAVAILABLE:
        _requeue_after_database(session, queue, kind, row, job, status, report)
    elif job_status in FAILED_JOB:
        if _fail(session, kind, key, CRASHED, expected=(status,)):
            logger.warning("%s %s marked FAILED: %s", status, kind.name, CRASHED)
            report.failed.append(key)
    elif job_status == JobStatus.QUEUED and not _listed(queue, key):
        queue.push_job_id(key)
        logger.warning("%s %s was queued in RQ but not in the list; pushed back", status, kind.name)
        report.requeued.append(key)
    elif status == RunStatus.RUNNING and job_status in (None, JobStatus.FINISHED):
        if (row.attempts or 0) < MAX_ATTEMPTS and job_status is None:
            _requeue(session, queue, kind, row, report, "RUNNING %s had no job; queued again")
        elif _fail(session, kind, key, LOST, expected=(status,)):
            logger.warning("RUNNING %s marked FAILED: %s (rq %s)", kind.name, LOST, job_status)
            report.failed.append(key)
    elif status == RunStatus.PENDING and job_status is None:
        _requeue(session, queue, kind, row, report, "PENDING %s had no queued job; enqueued again")


def _requeue_after_database(
    session: Session, queue: Queue, kind: WorkKind, row, job: Job, status, report: ReapReport
) -> None:
    key = kind.key(row)
    times = int(job.meta.get(DB_REQUEUES_META) or 0) + 1
    if times > MAX_DB_REQUEUES:
        if _fail(session, kind, key, DB_UNAVAILABLE, expected=(status,)):
            logger.warning("%s %s marked FAILED: %s", status, kind.name, DB_UNAVAILABLE)
            report.failed.append(key)
        return
    job.delete()
    if _requeue(session, queue, kind, row, report, "%s gave up on the database; queued again"):
        queued = _job(queue, key)
        if queued is not None:
            queued.meta[DB_REQUEUES_META] = times
            queued.save_meta()


@contextmanager
def _transaction(session: Session) -> Iterator[Session]:
    with session.begin():
        yield session


def _requeue(session: Session, queue: Queue, kind: WorkKind, row, report, note: str) -> bool:
    """Enqueue the row's stored message again if the item is still waiting
    (``work.kind.requeue_waiting``); True if it was."""
    key = kind.key(row)
    outcome = requeue_waiting(kind, queue, partial(_transaction, session), key, row)
    if outcome == NOT_WAITING:
        logger.info("%s finished or was cancelled meanwhile; not queued again", kind.name)
    elif outcome == INVALID:
        report.failed.append(key)
    elif outcome == REQUEUED:
        logger.warning(note, kind.name)
        report.requeued.append(key)
    return outcome == REQUEUED


def reap(connection: Redis, sessions: sessionmaker[Session], queue_name: str | None = None):
    """One full pass: RQ registries, then the database. Returns a ``ReapReport``."""
    queue = backtest_queue(connection, queue_name, job_class=InertJob)  # cleanup calls no name
    try:
        cleaned = clean_queue_registries(queue)
    except Exception:  # Redis trouble: the database pass below still runs
        logger.exception("RQ registry maintenance failed; reconciling the database anyway")
        cleaned = False
    with sessions() as session:
        report = reconcile(session, queue)
    report.rq_cleaned = cleaned
    try:
        forget_taken(connection, queue.key)
    except Exception:  # only bookkeeping: the next pass tries again
        logger.exception("could not drop the fair-order entries of taken items")
    record(connection, report.recoveries)
    return report


def queues_to_reap() -> tuple[str, ...]:
    """Every queue work goes to: the shared queue (RQ_QUEUE, which also holds items queued
    before their kind had a queue of its own) and each registered kind's own."""
    return tuple(dict.fromkeys([kind_queue_name(None), *map(kind_queue_name, all_kinds())]))


def main() -> int:
    """CronJob entry point: a pass over every queue (``queues_to_reap``); exit 0 after it,
    1 if Redis or the database failed for one of them."""
    from store.db import process_sessionmaker

    configure_logging()
    connection, sessions, code = redis_connection(), process_sessionmaker(), 0
    for name in queues_to_reap():
        try:
            report = reap(connection, sessions, name)
        except Exception:
            logger.exception("reaper pass of queue %s failed", name)
            code = 1
            continue
        logger.info(
            "reaper pass of queue %s: rq_cleaned=%s failed=%d requeued=%d",
            name,
            report.rq_cleaned,
            len(report.failed),
            len(report.requeued),
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
