"""The one submission path of every kind of work as HTTP (``work.submit`` does the work):
record the item PENDING, queue its messages, and answer what went wrong the same way for
every kind — 409 for a taken id, 503 when the database stayed away (nothing recorded) or
Redis refused the enqueue (the item FAILED), a logged 500 for anything else. Validation
comes first, in the kind's own view; the 202 is the view's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from web.db import get_session
from web.errors import DATABASE_ERRORS, ApiError, forget_run_id
from web.queue import get_run_queue
from work.retry import DatabaseUnavailable
from work.status import RunStatus
from work.submit import (
    ENQUEUE_FAILED,
    QUEUE_UNAVAILABLE,
    AlreadyQueued,
    QueueUnavailable,
    Submission,
    already_queued,
    submit,
)

if TYPE_CHECKING:  # pragma: no cover
    from work.kind import WorkKind

__all__ = [
    "ENQUEUE_FAILED",
    "QUEUE_UNAVAILABLE",
    "Submission",
    "already_queued",
    "not_accepted",
    "submit_work",
]

logger = logging.getLogger("web.submit")

RETRY_AFTER_S = 5
"""The ``Retry-After`` of a 503 whose submission was not recorded, in seconds."""


def not_accepted(kind: WorkKind) -> str:
    """The 503 of a submission whose INSERT could not be made (nothing was recorded)."""
    return f"database unavailable: the {kind.name} was not accepted; submit it again"


def submit_work(
    kind: WorkKind,
    item: tuple[str, str],
    submission: Submission,
    *,
    refused: str | None = None,
) -> None:
    """Record the submitted item (``item``: its id field and id, e.g. ``("sweep_id", …)``)
    and queue its messages on ``kind``'s queue (``work.submit.submit``). ``refused``: the
    503 text when nothing could be recorded (default ``not_accepted(kind)``).

    :raise ApiError 409: the id is taken (in the database or in the queue).
    :raise ApiError 503: the database (nothing recorded) or Redis (item FAILED) is away.
    """
    queue = get_run_queue().of(kind)
    field, item_id = item
    try:
        submit(get_session(), queue, kind, submission)
    except (IntegrityError, AlreadyQueued) as exc:
        where = "in the queue" if isinstance(exc, AlreadyQueued) else "in the database"
        logger.warning("refused: a %s with this id exists %s already", kind.name, where)
        raise ApiError(409, f"{field} already exists", field=field) from None
    except (DatabaseUnavailable, *DATABASE_ERRORS) as exc:
        logger.error("not accepted, database unavailable at insert: %s", exc)
        forget_run_id()
        message = refused or not_accepted(kind)
        raise ApiError(503, message, headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    except QueueUnavailable as exc:
        logger.error(
            "enqueue failed, %d item(s) marked FAILED: %s: %s",
            exc.failed,
            type(exc.cause).__name__,
            exc.cause,
        )
        raise ApiError(
            503, QUEUE_UNAVAILABLE, **{field: item_id}, status=RunStatus.FAILED
        ) from None
    logger.info("enqueued on %s", queue.name)
