"""Managing a run after it was submitted: ``POST /api/runs/<run_id>/cancel`` (a waiting
run), ``DELETE /api/runs/<run_id>`` (the run and its stored result) and
``PATCH /api/runs/<run_id>`` (its name, tags, notes, pin and sharing).

The database is the source of truth: a cancel first moves the row PENDING → CANCELLED (the
guarded transition), then takes the message off the Redis queue. If Redis is away, or a
consumer took the message first, the Job finds the row CANCELLED and skips it. A started
run (RUNNING) can be neither cancelled nor deleted: 409 naming its status.

Only the run's owner (or an admin, or anyone in AUTH_MODE=none) may do any of these
(``web.ownership``): another user gets the 404 of a missing run, or 403 read-only when the
run is shared with them.
"""

from __future__ import annotations

import logging

from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from kinds.runs.kind import RUNS_FINISHED
from kinds.runs.request_model import label_values
from kinds.runs.store import (
    delete_finished_run,
    get_run_header,
    get_status,
    mark_cancelled,
    update_labels,
)
from kinds.runs.view import run_labels
from web.api.runs.access import check_run_manage, run_not_found
from web.api.runs.blueprint import bp
from web.body import json_object
from web.db import get_session
from web.errors import ApiError, bad_request
from web.queue import get_run_queue
from web.telemetry import add_telemetry
from work.errors import RequestError
from work.logs import run_context
from work.queue import withdraw
from work.status import RunStatus
from work.telemetry import field

logger = logging.getLogger("web.run_manage")


_not_found = run_not_found


def _session_for(run_id: str) -> Session:
    """The request's session, once ``run_id`` names a run the viewer may manage (else 404,
    or 403 for a run shared with them)."""
    session = get_session()
    with session.begin():
        check_run_manage(session, run_id)
    return session


def _conflict(run_id: str, status: str, action: str) -> ApiError:
    return ApiError(
        409, f"a {status} run cannot be {action}", field="status", run_id=run_id, status=status
    )


def _withdraw(run_id: str, *, just_cancelled: bool) -> bool | None:
    """Take a cancelled run's message off the queue (and, if this request cancelled it, count
    it as finished CANCELLED); None if Redis could not be reached (the Job will skip the run:
    its row is CANCELLED)."""
    if just_cancelled:
        add_telemetry({field(RUNS_FINISHED, status=RunStatus.CANCELLED): 1})
    try:
        removed = withdraw(get_run_queue().queue, run_id)
    except RedisError as exc:
        logger.warning("cancelled, but its message stays queued (Redis: %s); a Job skips it", exc)
        return None
    logger.info("cancelled; message %s", "taken off the queue" if removed else "not queued")
    return removed


@bp.post("/<run_id>/cancel")
def cancel(run_id: str) -> ResponseReturnValue:
    """Cancel a PENDING run: CANCELLED and off the queue; 409 once it started or finished."""
    session = _session_for(run_id)
    with run_context(run_id):
        with session.begin():
            cancelled = mark_cancelled(session, run_id)
            status = RunStatus.CANCELLED if cancelled else get_status(session, run_id)
        if status is None:
            raise _not_found()
        if status != RunStatus.CANCELLED:
            raise _conflict(run_id, status, "cancelled (only a PENDING run can)")
        removed = _withdraw(run_id, just_cancelled=cancelled)
    return {"run_id": run_id, "status": RunStatus.CANCELLED, "removed_from_queue": removed}


@bp.delete("/<run_id>")
def delete(run_id: str) -> ResponseReturnValue:
    """Delete a run and its stored result (a PENDING run is cancelled first); 409 while it
    is RUNNING."""
    session = _session_for(run_id)
    with run_context(run_id):
        with session.begin():
            cancelled = mark_cancelled(session, run_id)  # a PENDING run is cancelled first
            deleted = delete_finished_run(session, run_id)
            status = None if deleted else get_status(session, run_id)
        if not deleted:
            raise _not_found() if status is None else _conflict(run_id, status, "deleted")
        if cancelled:
            _withdraw(run_id, just_cancelled=True)
        logger.info("deleted")
    return "", 204


@bp.patch("/<run_id>")
def edit(run_id: str) -> ResponseReturnValue:
    """Set any of the run's ``name``, ``tags``, ``notes``, ``pinned`` and ``shared`` (read-only
    for every signed-in user); the run's labels."""
    session = _session_for(run_id)
    body = json_object()
    try:
        values = label_values(body, tuple(body))
    except RequestError as exc:
        raise bad_request(exc) from None
    with session.begin():
        found = update_labels(session, run_id, values)
    if not found:
        raise _not_found()
    row = get_run_header(session, run_id)
    if row is None:  # deleted in between
        raise _not_found()
    return {"run_id": run_id, **run_labels(row)}
