"""The one submission path of every kind of work: record the item PENDING, then queue its
message (validation comes first, in the kind's own view; the 202 is the view's).

``submit_item(kind, item_id, insert, message)``: ``insert(session, queue_name)`` writes the
item's row(s) PENDING in one transaction, retried while the database connection is lost for
``INSERT_RETRY_S`` (then 503 ``NOT_ACCEPTED``, nothing recorded; a taken id is 409); then
``kind.enqueue`` pushes the message on the kind's queue (``web.queue``). If the enqueue fails,
the row is marked FAILED (guarded: only from PENDING) and the answer is 409 (the id is in
the queue already), 503 ``QUEUE_UNAVAILABLE`` (Redis away) or a 500 (anything else, logged):
an item is never left PENDING with no message, and a user never sees a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from sqlalchemy.exc import IntegrityError

from web.db import get_session
from web.errors import DATABASE_ERRORS, ApiError, forget_run_id
from web.queue import get_run_queue
from work.retry import DatabaseUnavailable, retry_transaction
from work.status import RunStatus

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from work.kind import WorkKind

logger = logging.getLogger("web.submit")

QUEUE_UNAVAILABLE = "queue unavailable"
"""The error of an item whose enqueue failed (its row is FAILED with this message)."""

ENQUEUE_FAILED = "internal error while enqueueing"
"""The error of a row whose enqueue failed unexpectedly (the answer is a 500)."""

INSERT_RETRY_S = 2.0
"""How long a submission waits out a lost database connection before answering 503."""

RETRY_AFTER_S = 5
"""The ``Retry-After`` of that 503, in seconds."""


def not_accepted(kind: WorkKind) -> str:
    """The 503 of a submission whose INSERT could not be made (nothing was recorded)."""
    return f"database unavailable: the {kind.name} was not accepted; submit it again"


def already_queued(kind: WorkKind) -> str:
    """The error of a row whose id the queue refused as a duplicate."""
    return f"{kind.id_field} already exists in the queue"


def submit_item(
    kind: WorkKind,
    item_id: str,
    insert: Callable[[Session, str], Any],
    message: dict[str, Any],
) -> None:
    """Record one item PENDING (``insert(session, queue_name)``) and queue ``message``.

    :raise ApiError 409: ``kind.id_field`` is taken (in the database or in the queue).
    :raise ApiError 503: the database (nothing recorded) or Redis (row FAILED) is away.
    """
    queue = get_run_queue().of(kind)
    session = get_session()

    def record() -> None:
        with session.begin():
            insert(session, queue.name)

    try:
        retry_transaction(record, budget_s=INSERT_RETRY_S)
    except IntegrityError:
        logger.warning("refused: a %s with this id exists already", kind.name)
        raise ApiError(409, f"{kind.id_field} already exists", field=kind.id_field) from None
    except (DatabaseUnavailable, *DATABASE_ERRORS) as exc:
        logger.error("not accepted, database unavailable at insert: %s", exc)
        forget_run_id()
        raise ApiError(
            503, not_accepted(kind), headers={"Retry-After": str(RETRY_AFTER_S)}
        ) from None
    try:
        kind.enqueue(queue, message)
    except DuplicateJobError:
        logger.warning("refused: a job with this id is already in the queue")
        _fail(kind, item_id, already_queued(kind))
        raise ApiError(409, f"{kind.id_field} already exists", field=kind.id_field) from None
    except RedisError as exc:
        logger.error("enqueue failed, %s marked FAILED: %s: %s", kind.name, type(exc).__name__, exc)
        _fail(kind, item_id, QUEUE_UNAVAILABLE)
        raise ApiError(
            503, QUEUE_UNAVAILABLE, **{kind.id_field: item_id}, status=RunStatus.FAILED
        ) from None
    except Exception:
        _fail(kind, item_id, ENQUEUE_FAILED)
        raise
    logger.info("enqueued on %s", queue.name)


def _fail(kind: WorkKind, item_id: str, message: str) -> None:
    """Mark an item FAILED after its enqueue failed; a database error here is only logged."""
    session = get_session()
    try:
        with session.begin():
            kind.mark_failed(session, item_id, message, expected=(RunStatus.PENDING,))
    except DATABASE_ERRORS:
        logger.exception("could not mark the %s FAILED (%s)", kind.name, message)
