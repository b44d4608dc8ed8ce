"""The one submission path of every kind of work as HTTP (``work.submit`` does the work):
check the client's share of the queue, record the item PENDING, queue its messages in fair
order, and answer what went wrong the same way for every kind — 429 when the client already
has its share waiting (400 when the submission alone is bigger), 409 for a taken id, 503
when the database stayed away (nothing recorded) or Redis refused the enqueue (the item
FAILED), a logged 500 for anything else. Validation comes first, in the kind's own view; the
202 is the view's.

The client is ``web.clients.current_client`` (the token's name, else the address); its
share is the kind's ``WorkKind.client_limit`` (e.g. RUN_MAX_PENDING_PER_CLIENT), counted on
the queue itself (``work.fair``: its waiting items, not its running ones). The count is one
read before the INSERT: two submissions of one client at the same moment may both pass
(soft by one submission), and with Redis away it is not applied (the enqueue meets the
outage and answers 503).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from web.clients import Client, current_client
from web.db import get_session
from web.errors import DATABASE_ERRORS, ApiError, forget_run_id
from web.queue import get_run_queue
from work.fair import ClientFull, check_client_room
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
    from rq import Queue

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

SHARE_RETRY_S = 60
"""The ``Retry-After`` of a 429 refusing a client that has its share waiting, in seconds."""


def not_accepted(kind: WorkKind) -> str:
    """The 503 of a submission whose INSERT could not be made (nothing was recorded)."""
    return f"database unavailable: the {kind.name} was not accepted; submit it again"


def submit_work(
    kind: WorkKind,
    item: tuple[str, str],
    submission: Submission,
    *,
    refused: str | None = None,
    size_field: str | None = None,
) -> None:
    """Record the submitted item (``item``: its id field and id, e.g. ``("sweep_id", …)``)
    and queue its messages on ``kind``'s queue in fair order (``work.submit.submit``), once
    the client's share has room for them. ``refused``: the 503 text when nothing could be
    recorded (default ``not_accepted(kind)``); ``size_field``: the request field that sets
    how many messages it queues (named by the 400 of a submission bigger than a share).

    :raise ApiError 400: the submission alone is bigger than a client's share.
    :raise ApiError 429: the client has its share waiting (nothing recorded).
    :raise ApiError 409: the id is taken (in the database or in the queue).
    :raise ApiError 503: the database (nothing recorded) or Redis (item FAILED) is away.
    """
    queue = get_run_queue().of(kind)
    client = current_client()
    _check_share(kind, queue, client, len(submission.messages), size_field)
    field, item_id = item
    try:
        submit(get_session(), queue, kind, submission, client.key)
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


def _check_share(
    kind: WorkKind, queue: Queue, client: Client, needed: int, size_field: str | None = None
) -> None:
    """Refuse ``needed`` more items of ``kind`` from ``client`` when its waiting items on
    ``queue`` would pass the kind's share (``WorkKind.client_limit``, from the app's
    config); nothing to check for a kind without one, or with Redis away.

    :raise ApiError 400: ``needed`` alone is more than the share (field ``size_field``).
    :raise ApiError 429: with ``Retry-After``, naming the setting (field: the client's).
    """
    variable = kind.client_limit
    if variable is None:
        return
    limit = int(current_app.config[variable.name])
    try:
        check_client_room(queue.connection, queue.key, client.key, needed, limit, variable.name)
    except RedisError as exc:
        # the enqueue meets the same outage and logs it (503)
        logger.debug("client share not checked: Redis unavailable (%s)", type(exc).__name__)
    except ClientFull as exc:
        logger.warning("refused: %s: %s", client.key, exc)
        forget_run_id()  # nothing was recorded: no answer may name the submitted id
        if exc.never_fits:
            raise ApiError(
                400, f"{exc}; send a smaller request", field=size_field or client.field
            ) from None
        raise ApiError(
            429,
            f"{exc}; retry once some have run",
            field=client.field,
            headers={"Retry-After": str(SHARE_RETRY_S)},
        ) from None
