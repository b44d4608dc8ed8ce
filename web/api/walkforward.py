"""Walk-forward optimisation: the JSON API (the pages are another module's).

``POST /api/walkforward`` (202 ``{walkforward_id, status, folds, combos_per_fold,
status_url}``; a bad input is a 400 naming it, windows that do not fit the data name
``train_bars``), ``GET /api/walkforward`` (newest first, at most 100),
``GET /api/walkforward/<id>`` (status, progress, folds, the stitched out-of-sample result,
WFE, parameter stability), ``…/folds.csv``, ``PATCH /api/walkforward/<id>`` (``{"shared"}``:
its fold sweeps with it). docs/walkforward.md has the contract. A walk-forward the viewer may
not read is the 404 of a missing one; the list shows theirs and the shared ones
(``web.ownership``).

A thin HTTP layer over the ``walkforward`` package: submission is
``kinds.walkforward.service`` (validate → room on the sweep queue → INSERT the walk-forward, its
folds' sweeps and chunks and its folds in one transaction → enqueue the chunks); queue
errors answer like sweeps' (429 full, 503 unavailable).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, url_for
from flask.typing import ResponseReturnValue

from kinds.sweeps.contract import SWEEP_ID
from kinds.sweeps.kind import CHUNK
from kinds.sweeps.service import QueueFull, check_room
from kinds.walkforward.service import validate_walkforward, walkforward_submission
from kinds.walkforward.store import (
    folds_of,
    get_walkforward,
    list_walkforwards,
    set_walkforward_shared,
    sweep_states_of,
)
from kinds.walkforward.view import Folded, detail, folds_csv, summary
from store.models import WalkForward
from web.api.sweeps import DATABASE_UNAVAILABLE, queue_full, validated
from web.auth import current_user
from web.body import json_object
from web.db import get_session, image_tag
from web.ownership import ItemLookup, set_sharing, visible
from web.present import iso_utc
from web.queue import get_run_queue
from web.submit import submit_work
from work.status import RunStatus

logger = logging.getLogger("web.walkforward")

bp = Blueprint("walkforward", __name__)


def check_request(payload: dict):
    """The walk-forward, its folds and their sweeps, every check a submission makes before
    it looks for room on the queue (400 naming the field); nothing recorded."""
    return validated(validate_walkforward, payload)


@bp.post("/api/walkforwards")
@bp.post("/api/walkforward")
def submit() -> ResponseReturnValue:
    """Validate a walk-forward, record it with its folds and their sweeps, enqueue the
    sweeps' chunks."""
    config = current_app.config
    planned = check_request(json_object())
    walkforward_id = planned.request.walkforward_id
    submission = walkforward_submission(planned, image_tag=image_tag(), created_by=current_user())
    chunks = len(submission.messages)
    try:
        check_room(get_run_queue().of(CHUNK), chunks, config["SWEEP_MAX_PENDING_CHUNKS"])
    except QueueFull as exc:
        logger.warning("walk-forward %s refused: %s", walkforward_id, exc)
        raise queue_full(exc) from None
    item = ("walkforward_id", walkforward_id)
    submit_work(CHUNK, item, submission, refused=DATABASE_UNAVAILABLE, size_field="grid")
    logger.info(
        "walk-forward %s accepted: %s %s, %d folds × %d combos in %d chunks",
        walkforward_id,
        planned.request.sweep.rule_type,
        planned.request.ticker,
        len(planned.folds),
        planned.combos_per_fold,
        chunks,
    )
    status_url = url_for("walkforward.status", walkforward_id=walkforward_id)
    body = {
        "walkforward_id": walkforward_id,
        "status": RunStatus.PENDING,
        "folds": len(planned.folds),
        "combos_per_fold": planned.combos_per_fold,
        "status_url": status_url,
    }
    return body, 202, {"Location": status_url}


def _folded(rows: list[WalkForward], *, results: bool = True) -> list[Folded]:
    """Each walk-forward with its folds and their sweeps' states (three queries; the folds'
    results only with ``results``)."""
    session = get_session()
    folds = folds_of(session, [row.walkforward_id for row in rows], results=results)
    sweeps = sweep_states_of(session, [f.sweep_id for group in folds.values() for f in group])
    return [Folded(row, folds[row.walkforward_id], sweeps) for row in rows]


WALKFORWARDS = ItemLookup(WalkForward, get_walkforward, SWEEP_ID, "walk-forward")
"""A walk-forward by the id in a URL."""


def _one(walkforward_id: str) -> Folded:
    return _folded([WALKFORWARDS.one(walkforward_id)])[0]


@bp.get("/api/walkforwards")
@bp.get("/api/walkforward")
def list_all() -> ResponseReturnValue:
    """The newest 100 walk-forwards, each with its derived status."""
    return {
        "walkforwards": [
            summary(f, iso_utc, f"/walkforward/{f.row.walkforward_id}")
            for f in _folded(
                list_walkforwards(get_session(), visible=visible(WalkForward)), results=False
            )
        ]
    }


@bp.get("/api/walkforwards/<walkforward_id>")
@bp.get("/api/walkforward/<walkforward_id>")
def status(walkforward_id: str) -> ResponseReturnValue:
    """Status, progress, folds, the stitched out-of-sample result, WFE and stability."""
    folded = _one(walkforward_id)
    csv_url = url_for("walkforward.folds", walkforward_id=walkforward_id)
    return detail(folded, iso_utc, csv_url)


@bp.get("/api/walkforwards/<walkforward_id>/folds.csv")
@bp.get("/api/walkforward/<walkforward_id>/folds.csv")
def folds(walkforward_id: str) -> ResponseReturnValue:
    """One CSV row per fold (docs/walkforward.md)."""
    response = Response(folds_csv(_one(walkforward_id)), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="walkforward-{walkforward_id}.csv"'
    )
    return response


@bp.patch("/api/walkforwards/<walkforward_id>")
@bp.patch("/api/walkforward/<walkforward_id>")
def share(walkforward_id: str) -> ResponseReturnValue:
    """Share the walk-forward and its folds' sweeps read-only with every signed-in user, or
    stop (``{"shared": bool}``; its owner or an admin only)."""
    shared = set_sharing(
        walkforward_id, WALKFORWARDS.row, set_walkforward_shared, WALKFORWARDS.not_found
    )
    return {"walkforward_id": walkforward_id, "shared": shared}
