"""The one submission of every kind of work, without HTTP: record the item PENDING (with
whatever rows it brings: a sweep its chunks, a walk-forward its folds and their sweeps) in
one transaction, then queue its messages; whatever could not be queued is FAILED, so no item
waits PENDING for a message that was never sent. A submission that names its client
records it beside the queue before it enqueues and then moves its ids to their fair places
(``work.fair``). The web answers its outcomes as HTTP (``web.submit``); validation comes
before, in the kind's own code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError

from work.fair import note_clients, place
from work.retry import retry_transaction

if TYPE_CHECKING:  # pragma: no cover
    from rq import Queue
    from sqlalchemy.orm import Session

    from work.kind import WorkKind

logger = logging.getLogger("work.submit")

QUEUE_UNAVAILABLE = "queue unavailable"
"""The error of the items whose enqueue failed because Redis was away."""

ENQUEUE_FAILED = "internal error while enqueueing"
"""The error of the items whose enqueue failed unexpectedly."""

INSERT_RETRY_S = 2.0
"""How long a submission waits out a lost database connection at its INSERT."""


class QueueUnavailable(Exception):
    """Redis refused an enqueue; ``failed`` items were marked FAILED."""

    def __init__(self, cause: RedisError, failed: int) -> None:
        super().__init__(f"{cause.__class__.__name__}: {failed} items FAILED")
        self.cause = cause
        self.failed = failed


class AlreadyQueued(Exception):
    """The queue already knows a message's id (``DuplicateJobError``); the item is FAILED."""


@dataclass(frozen=True)
class Submission:
    """One submitted item as the submission path needs it: ``insert(session, queue_name)``
    writes its rows PENDING (no commit), ``messages`` are what is queued, ``fail(session,
    error)`` marks what is still PENDING FAILED and returns how many."""

    insert: Callable[[Session, str], Any]
    messages: Sequence[dict[str, Any]]
    fail: Callable[[Session, str], int]


def already_queued(kind: WorkKind) -> str:
    """The error of a row whose id the queue refused as a duplicate."""
    return f"{kind.id_field} already exists in the queue"


def submit(
    session: Session,
    queue: Queue,
    kind: WorkKind,
    submission: Submission,
    client: str | None = None,
) -> None:
    """Record, then queue: ``submission.insert`` writes the rows PENDING in one transaction
    (retried while the connection is lost, for ``INSERT_RETRY_S``); then every message is
    queued on ``queue`` as an item of ``kind``. If an enqueue fails, ``submission.fail``
    marks what is still PENDING FAILED (its own transaction). ``client`` (``token:<name>``
    or ``addr:<address>``): who submits; recorded with the ids before they are queued, and
    the ids are then moved to their fair places (``work.fair.place``; best effort: the items
    stay queued in arrival order if that fails).

    :raise sqlalchemy.exc.IntegrityError: an id is taken (nothing recorded).
    :raise work.retry.DatabaseUnavailable: the database stayed away (nothing recorded).
    :raise AlreadyQueued: the queue knows an id already.
    :raise QueueUnavailable: Redis refused an enqueue.
    """

    def record() -> None:
        with session.begin():
            submission.insert(session, queue.name)

    retry_transaction(record, budget_s=INSERT_RETRY_S)
    ids = [kind.item_id(message) for message in submission.messages]
    try:
        if client is not None:
            note_clients(queue.connection, queue.key, client, ids)
        for message in submission.messages:
            kind.enqueue(queue, message)
    except DuplicateJobError:
        _fail(session, submission, already_queued(kind))
        raise AlreadyQueued(already_queued(kind)) from None
    except RedisError as exc:
        raise QueueUnavailable(exc, _fail(session, submission, QUEUE_UNAVAILABLE)) from exc
    except Exception:
        _fail(session, submission, ENQUEUE_FAILED)
        raise
    if client is not None:
        _place(queue, client, ids)


def _place(queue: Queue, client: str, ids: list[str]) -> None:
    """Move the submission's ids to their fair places; a Redis error here is only logged
    (the items stay queued at the tail, in arrival order)."""
    try:
        place(queue.connection, queue.key, client, ids)
    except RedisError as exc:
        logger.warning("queue %s: items not placed: %s", queue.name, exc.__class__.__name__)


def _fail(session: Session, submission: Submission, error: str) -> int:
    """Mark what is still PENDING FAILED; a database error here is only logged (the
    reaper fails what stays PENDING without a message)."""
    try:
        with session.begin():
            return int(submission.fail(session, error))
    except Exception:
        logger.exception("could not mark the submission FAILED (%s)", error)
        return 0
