"""The one skeleton every queued work item runs through, inside RQ's forked work-horse:
claim file → guarded RUNNING → the kind's compute → the kind's store (one transaction) or
FAILED with a user-safe message → SKIPPED for a duplicate or late delivery.

A delivery reaches this skeleton only as the one live execution of its job id: a concurrent
duplicate was skipped before the fork (``work.claim.claim_delivery``), so the guarded RUNNING
transition may accept a RUNNING item — a retry of an abandoned delivery — without letting two
deliveries compute one item at once.

The database is the source of truth, reached through the process's plain DBAPI connection
(``store.dbapi.process_database``: no SQLAlchemy in a Job). An item that fails (bad data, an
error in a rule) is stored FAILED and the job returns normally: the Job must not be retried
by Kubernetes. Every
transaction is retried while the database is away (``work.retry``: backoff for up to
DB_RETRY_SECONDS), so a blip delays a run and never costs its computed result. The job
raises only when the outcome could not be stored; a database that stayed away is noted on
the RQ job (``work.queue.note_failure``) so the reaper queues the item again rather than
calling it a crash. Every log line names the item id (``work.logs.run_context``). Each
finished item adds its status, queue wait and execution time to the telemetry hash
(``work.telemetry``: one pipelined Redis round trip on the RQ job's own connection).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any, Final

from config import process
from store.dbapi import Database, process_database
from work.claim import mark_claimed
from work.errors import RequestError
from work.kind import Claim, Execution, WorkFailed, WorkKind
from work.logs import run_context
from work.queue import DATABASE_UNAVAILABLE, clear_failure, note_failure
from work.retry import DatabaseUnavailable, retry_transaction
from work.status import RunStatus
from work.telemetry import finished, record

logger = logging.getLogger("work.lifecycle")

INTERNAL_ERROR = "internal error while running the backtest; operators can find it by run_id"
"""The stored error of an item whose compute raised something unexpected (the log has it)."""

SKIPPED: Final = "SKIPPED"
"""The job's answer for a delivery it ignored (the item was not PENDING/RUNNING, or no
longer RUNNING when it finished). Never stored: the row keeps its own status."""


def worker_name(pid: int | None = None) -> str:
    """Who ran it: the pod name (HOSTNAME) and the pid of the process that runs the item
    (default this one; the consumer's parent names its work-horse's)."""
    return f"{process.HOSTNAME.value() or socket.gethostname()}:{pid or os.getpid()}"


def run_item(kind: WorkKind, payload: dict[str, Any]) -> dict[str, str]:
    """Execute one queued item of ``kind`` and store its outcome.

    Returns ``{<kind.id_field>: item_id, "status": SUCCEEDED | FAILED | SKIPPED}``.
    """
    mark_claimed()
    clear_failure()
    claim = Claim(kind.item_id(payload), worker_name(), time.time())
    with run_context(claim.item_id or "-"):
        database = process_database()
        try:
            status, stored = _run(database, kind, claim, payload)
        except DatabaseUnavailable as exc:
            logger.error("giving up: %s; the reaper will queue it again", exc)
            note_failure(DATABASE_UNAVAILABLE)
            raise
        _record_finished(kind, status, claim)
        if status != SKIPPED and stored is not None:
            _after(database, kind, claim, stored)
    return {kind.id_field: claim.item_id, "status": status}


def _record_finished(kind: WorkKind, status: str, claim: Claim) -> None:
    """Count the item in the telemetry hash, through the RQ job's connection (none outside
    RQ: nothing is counted). The queue wait runs from the job's enqueue to the claim."""
    from rq import get_current_job  # loaded already: this runs in RQ's work-horse

    job = get_current_job()
    if job is None:
        return
    enqueued = job.enqueued_at
    queued = claim.claimed_at - enqueued.timestamp() if enqueued is not None else None
    record(job.connection, finished(kind, status, queued, time.time() - claim.claimed_at))


def _after(database: Database, kind: WorkKind, claim: Claim, stored: dict[str, Any]) -> None:
    """The kind's ``finished`` hook, once the outcome is committed; a failure is logged
    only (the outcome stands, the reaper is the hook's backstop)."""
    if kind.finished is None:
        return
    try:
        kind.finished(database, claim, stored)
    except Exception:
        logger.exception("the %s's finished hook failed; the reaper will catch up", kind.name)


def _start(database: Database, kind: WorkKind, claim: Claim) -> tuple[bool, str, Any, Any]:
    """The guarded RUNNING transition, and the row's state and stored message read in the
    same transaction."""
    with database.transaction() as tx:
        started = kind.mark_running(tx, claim)
        row = kind.get(tx, claim.item_id)
    state = row.status if row else "unknown to the database"
    attempts = row.attempts if row else None
    stored = row.message() if started and row is not None else None
    return started, state, attempts, stored


def _run(
    database: Database, kind: WorkKind, claim: Claim, payload: dict[str, Any]
) -> tuple[str, dict[str, Any] | None]:
    """The item's outcome (SUCCEEDED, FAILED or SKIPPED) and its stored message."""
    started, state, attempts, stored = retry_transaction(lambda: _start(database, kind, claim))
    if not started:
        logger.warning(
            "not started: %s is %s (duplicate or late delivery ignored)", kind.name, state
        )
        return SKIPPED, None
    return _execute(database, kind, claim, payload, stored, attempts), stored


def _execute(
    database: Database,
    kind: WorkKind,
    claim: Claim,
    payload: dict[str, Any],
    stored: dict[str, Any] | None,
    attempts: int | None,
) -> str:
    logger.info("running (attempt %s)", attempts)

    begun = time.perf_counter()
    try:
        if stored is None:
            raise WorkFailed(f"the {kind.name} has no stored message")
        if any(stored.get(key) != value for key, value in payload.items() if key in stored):
            logger.warning("the queued message differs from the stored one; running the stored")
        execution = kind.compute(claim, stored)
    except RequestError as exc:
        message = f"{exc.field}: {exc.message}"
        logger.info("failed as a backtest: %s", message)
        return _fail(database, kind, claim.item_id, message)
    except WorkFailed as exc:
        logger.warning("not stored: %s", exc.message)
        return _fail(database, kind, claim.item_id, exc.message)
    except Exception:
        logger.exception("%s raised", kind.name)
        return _fail(database, kind, claim.item_id, INTERNAL_ERROR)

    done = retry_transaction(lambda: _store(database, execution))
    elapsed = (time.perf_counter() - begun) * 1000
    if not done:
        logger.warning(
            "finished in %.0f ms but the %s was no longer RUNNING; nothing stored",
            elapsed,
            kind.name,
        )
        return SKIPPED
    logger.info("%s", execution.summary(elapsed))
    return RunStatus.SUCCEEDED


def _store(database: Database, execution: Execution) -> bool:
    """One transaction: the guarded SUCCEEDED transition and everything stored with it."""
    with database.transaction() as tx:
        return execution.store(tx)


def _fail(database: Database, kind: WorkKind, item_id: str, message: str) -> str:
    def record() -> bool:
        with database.transaction() as tx:
            return kind.record_failure(tx, item_id, message)

    retry_transaction(record)
    return RunStatus.FAILED
