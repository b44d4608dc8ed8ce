"""Optimisation studies: the JSON API (docs/studies.md, docs/api.md).

``POST /api/studies`` (202 ``{study_id, status, status_url, trials_url}``; a bad input is a
400 naming the field by its dotted path), ``GET /api/studies`` (newest first, at most 100),
``GET /api/studies/<id>`` (status, counts, best trial or Pareto front, history, importances,
request: a document whose size does not grow with the trials), ``GET
/api/studies/<id>/trials`` (JSON, one page in a chosen order; ``?format=csv`` or
``/trials.csv``: every trial as CSV, streamed),
``POST /api/studies/<id>/pause|resume|extend``, ``POST /api/studies/<id>/trials/<n>/run``
(202: the trial as a normal run), ``GET /api/studies/<id>/walkforward`` (a walk-forward
request prefilled from the study's space), ``PATCH /api/studies/<id>`` (``{"shared"}``).
A study the viewer may not read is the 404 of a missing one (``web.ownership``); pause,
resume, extend and sharing need its owner (or an admin).

A thin HTTP layer over ``kinds.studies.service``.
"""

from __future__ import annotations

import json
import logging
import math

from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from sqlalchemy.orm import Session

from config.process import combination_max_bars
from kinds.runs.contract import RequestError
from kinds.studies.bases import is_base_study
from kinds.studies.contract import STUDY_ID, trial_run_request
from kinds.studies.kind import BATCH, STUDIES_SUBMITTED
from kinds.studies.service import (
    Planned,
    StudyEnded,
    extend,
    pause,
    resume,
    study_submission,
    validate_study,
)
from kinds.studies.state import ENDED, trial_rows
from kinds.studies.store import (
    batch_counts,
    get_study,
    iter_trials,
    list_studies,
    set_study_shared,
    trial_counts,
    trial_summary,
    trials_numbered,
    trials_page,
)
from kinds.studies.view import detail, shown_best, sort_keys, summary, trial_dict, trials_csv
from kinds.sweeps.grid import SWEPT_TRADING
from kinds.sweeps.search_sweep import searchable_kind
from store.models import Study, StudyTrial
from web.api.kind import check_base
from web.api.runs.submit import submit_run
from web.auth import current_user
from web.body import json_object
from web.db import get_session, image_tag, streamed_with_session
from web.errors import ApiError, bad_request
from web.ownership import ItemLookup, require_manage, set_sharing, visible
from web.present import iso_utc
from web.query import count, paging
from web.queue import get_run_queue
from web.submit import submit_work
from web.telemetry import add_telemetry
from work.telemetry import field

logger = logging.getLogger("web.studies")

bp = Blueprint("studies", __name__)

EXTEND_MAX = 10_000
"""Most trials one ``extend`` adds."""

PER_PAGE_DEFAULT = PER_PAGE_MAX = 1000
"""Trials one ``GET …/trials`` page holds unless ``per_page`` asks fewer: a study of the
default budget is one page."""

WALKFORWARD_VALUES = 5
"""Values per parameter of the walk-forward grid prefilled from a study's space."""


STUDIES = ItemLookup(Study, get_study, STUDY_ID, "study")
"""A study by the id in a URL."""


def _urls(study_id: str) -> dict[str, str]:
    return {
        "status_url": url_for("studies.status", study_id=study_id),
        "trials_url": url_for("studies.trials", study_id=study_id),
        "trials_csv_url": url_for("studies.trials_csv_file", study_id=study_id),
    }


def check_request(payload: object) -> Planned:
    """A study request checked as its submission checks it (the run's fields, the space,
    the objectives, the budgets, the ticker's data), planned; nothing recorded.

    :raise ApiError 400: naming the offending field.
    """
    config = current_app.config
    try:
        planned = validate_study(
            payload, config["DATA_DIR"], combination_max_bars(config["RUN_MAX_BARS"])
        )
    except RequestError as exc:
        raise bad_request(exc) from None
    if planned.request.base is None:  # over another kind's base: checked as it checks one
        stored = planned.request.stored
        check_base(searchable_kind(stored["kind"])[0], stored["base"])
    return planned


@bp.post("/api/studies")
def submit() -> ResponseReturnValue:
    """Validate a study, record it with its first batches, enqueue them."""
    planned = check_request(json_object())
    study_id = planned.request.study_id
    submission = study_submission(planned, image_tag=image_tag(), created_by=current_user())
    submit_work(BATCH, ("study_id", study_id), submission, size_field="parallelism")
    add_telemetry({field(STUDIES_SUBMITTED): 1})
    stored = planned.request.stored
    logger.info(
        "study %s accepted: %s %s, %d trials (%s), %d batch(es) queued",
        study_id,
        stored["rule_type"],
        stored["ticker"],
        stored["n_trials"],
        stored["sampler"],
        planned.first_batches,
    )
    urls = _urls(study_id)
    body = {"study_id": study_id, "status": "PENDING", **urls}
    return body, 202, {"Location": urls["status_url"]}


@bp.get("/api/studies")
def list_all() -> ResponseReturnValue:
    """The newest 100 studies the viewer may read."""
    rows = list_studies(get_session(), visible=visible(Study))
    states = trial_counts(get_session(), [row.study_id for row in rows])
    return {
        "studies": [
            summary(row, states[row.study_id], iso_utc, f"/studies/{row.study_id}") for row in rows
        ]
    }


@bp.get("/api/studies/<study_id>")
def status(study_id: str) -> ResponseReturnValue:
    """Status, counts, best trial(s), history, importances, the request: read from the
    trials' counts and the COMPLETE trials' values, with the whole rows of the best trials
    shown only."""
    row = STUDIES.one(study_id)
    session = get_session()
    if row.status in ENDED and row.deflated_json is None:
        _deflate_once(session, row)
    trials = trial_summary(session, study_id)
    numbers, front = shown_best(json.loads(row.request_json), trials)
    shown = trials_numbered(session, study_id, numbers)
    batches = batch_counts(session, study_id)
    return detail(row, trials, shown, front, batches, iso_utc, _urls(study_id))


def _deflate_once(session: Session, row: Study) -> None:
    """A study that ended before its batches stored the deflated Sharpe ratio of its best
    trial (one older than migration 0016) gets it on its first read, stored once — as a
    sweep's overfitting statistics are (``kinds.studies.deflated``)."""
    from kinds.studies.deflated import update_deflated
    from store.dbapi import as_tx

    tx = as_tx(session)
    stored = json.loads(row.request_json)
    update_deflated(tx, row.study_id, "(read)", stored, trial_rows(tx, row.study_id))
    session.commit()
    session.refresh(row)


def _csv(row: Study) -> Response:
    """Every trial as CSV, streamed a thousand rows at a time (a large study's download
    holds neither its rows nor the web worker at once)."""
    rows = streamed_with_session(
        lambda session: trials_csv(row, iter_trials(session, row.study_id))
    )
    response = Response(rows, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="study-{row.study_id}.csv"'
    return response


def _sort(stored: dict) -> tuple[str, bool]:
    """The query's ``sort`` (one of ``sort_keys``, default ``number``) and whether
    ``order`` (asc, the default, or desc) is descending.

    :raise ApiError 400: naming ``sort`` or ``order``.
    """
    sort = request.args.get("sort", "").strip() or "number"
    allowed = sort_keys(stored)
    if sort not in allowed:
        raise ApiError(400, f"must be one of: {', '.join(allowed)}", field="sort")
    order = request.args.get("order", "").strip().lower() or "asc"
    if order not in ("asc", "desc"):
        raise ApiError(400, "must be asc or desc", field="order")
    return sort, order == "desc"


@bp.get("/api/studies/<study_id>/trials")
def trials(study_id: str) -> ResponseReturnValue:
    """One page of the trials, in number order or by ``sort`` (``order`` asc|desc),
    ``page`` (from 1) of ``per_page`` (1 to 1,000, default 1,000), with the total; CSV of
    every trial with ``?format=csv``."""
    row = STUDIES.one(study_id)
    wanted = request.args.get("format", "json")
    if wanted == "csv":
        return _csv(row)
    if wanted != "json":
        raise ApiError(400, "must be json or csv", field="format")
    sort, descending = _sort(json.loads(row.request_json))
    page = count("page", 1, 1, 10**9 - 1)
    per_page = count("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    found, total = trials_page(
        get_session(), study_id, sort=sort, descending=descending, page=page, per_page=per_page
    )
    return {
        "study_id": study_id,
        "trials": [trial_dict(t, iso_utc) for t in found],
        "sort": sort,
        "order": "desc" if descending else "asc",
        **paging(page, per_page, total),
    }


@bp.get("/api/studies/<study_id>/trials.csv")
def trials_csv_file(study_id: str) -> ResponseReturnValue:
    """Every trial as CSV (docs/studies.md)."""
    return _csv(STUDIES.one(study_id))


def _queue_batches(messages: list[dict]) -> None:
    """Queue the study's PENDING batches; one already queued is left alone, and with Redis
    away the reaper queues them later (they are stored PENDING)."""
    queue = get_run_queue().of(BATCH)
    for message in messages:
        try:
            BATCH.enqueue(queue, message)
        except DuplicateJobError:
            continue
        except RedisError as exc:
            logger.warning("batch %s not queued now (%s); the reaper will", message, exc)
            return


def _managed(study_id: str) -> Study:
    """The study, once the viewer may manage it (404 as a missing one, 403 if shared)."""
    session = get_session()
    row = STUDIES.row(session, study_id)
    require_manage(row, STUDIES.not_found)
    session.rollback()  # end the read's transaction: the change opens its own
    return row


def _steer(study_id: str, action, *args) -> ResponseReturnValue:
    """Lock the study, apply ``action``, queue what it left PENDING; the study's summary."""
    session = get_session()
    queue = get_run_queue().of(BATCH).name
    try:
        with session.begin():
            messages = action(session, study_id, queue, *args)
    except StudyEnded:
        raise ApiError(409, "the study has ended", field="status") from None
    except RequestError as exc:
        raise bad_request(exc) from None
    _queue_batches(messages)
    row = STUDIES.one(study_id)
    states = trial_counts(get_session(), [study_id])[study_id]
    return summary(row, states, iso_utc, f"/studies/{study_id}")


@bp.post("/api/studies/<study_id>/pause")
def pause_study(study_id: str) -> ResponseReturnValue:
    """Queue no new batch (running batches finish); the study stays RUNNING, ``paused``."""
    _managed(study_id)
    return _steer(study_id, pause)


@bp.post("/api/studies/<study_id>/resume")
def resume_study(study_id: str) -> ResponseReturnValue:
    """Clear ``paused`` and queue the next batches."""
    _managed(study_id)
    return _steer(study_id, resume)


@bp.post("/api/studies/<study_id>/extend")
def extend_study(study_id: str) -> ResponseReturnValue:
    """Add ``n_trials`` (1 to 10,000) to the budget of a study that has not ended."""
    _managed(study_id)
    body = json_object()
    unknown = sorted(key for key in body if key != "n_trials")
    if unknown:
        raise ApiError(400, "unknown field: only n_trials", field=unknown[0][:40])
    more = body.get("n_trials")
    if isinstance(more, bool) or not isinstance(more, int) or not 1 <= more <= EXTEND_MAX:
        raise ApiError(400, f"must be an integer from 1 to {EXTEND_MAX}", field="n_trials")
    return _steer(study_id, extend, more)


@bp.post("/api/studies/<study_id>/trials/<int:number>/run")
def run_trial(study_id: str, number: int) -> ResponseReturnValue:
    """Run trial ``number``'s parameters as a normal backtest (with charts): 202 with the
    new run's id, as ``POST /api/runs`` (its owner or an admin: a shared viewer may submit the
    trial's params as a run of their own)."""
    row = _managed(study_id)
    trial = get_session().get(StudyTrial, (study_id, number))
    if trial is None:
        raise ApiError(404, "trial not found")
    stored = json.loads(row.request_json)
    if is_base_study(stored):
        raise _not_a_run(stored)
    body = trial_run_request(stored, json.loads(trial.params_json))
    get_session().rollback()  # end the reads' transaction: the submission opens its own
    return submit_run(body)


def _not_a_run(stored: dict) -> ApiError:
    """What a run-only action answers for a study over another kind's base (its trials'
    requests are ``GET /api/studies/<id>/trials``' ``request``)."""
    return ApiError(400, f"is a {stored['kind']} study: its trials are not runs", field="kind")


def _range(entry: dict) -> str:
    """A space entry as a walk-forward grid range ``"low:high:step"``: its step when it has
    one, else ``WALKFORWARD_VALUES`` values from low to high (an int's step at least 1)."""
    low, high, step = entry["low"], entry["high"], entry["step"]
    if step is None:
        step = (high - low) / (WALKFORWARD_VALUES - 1)
        if entry["type"] == "int":
            step = max(1, math.ceil(step))
    if step * (WALKFORWARD_VALUES - 1) < high - low:  # a fine step: held to a few values
        step = (high - low) / (WALKFORWARD_VALUES - 1)
        step = max(1, math.ceil(step)) if entry["type"] == "int" else step
    return f"{low}:{high}:{step:g}" if entry["type"] == "float" else f"{low}:{high}:{step}"


@bp.get("/api/studies/<study_id>/walkforward")
def walkforward_request(study_id: str) -> ResponseReturnValue:
    """The walk-forward request a study's space prefills (docs/studies.md): the study's run
    fields, rule and fixed params, its space as a grid of a few values per parameter, its
    first objective as the selection metric; ``train_bars``/``test_bars`` are the user's."""
    row = STUDIES.one(study_id)
    stored = json.loads(row.request_json)
    if is_base_study(stored):
        raise _not_a_run(stored)
    grid = {name: _range(entry) for name, entry in stored["space"].items()}
    body = trial_run_request(stored, {})
    body.pop("charts")
    params = {k: v for k, v in body.pop("params").items() if k not in grid}
    fixed = {k: v for k, v in body.items() if k not in SWEPT_TRADING or k not in grid}
    return {"study_id": study_id, "request": {**fixed, "params": params, "grid": grid,
            "metric": stored["objectives"][0]["metric"]}}  # fmt: skip


@bp.patch("/api/studies/<study_id>")
def share(study_id: str) -> ResponseReturnValue:
    """Share the study read-only with every signed-in user, or stop (its owner or an admin)."""
    shared = set_sharing(study_id, STUDIES.row, set_study_shared, STUDIES.not_found)
    return {"study_id": study_id, "shared": shared}
