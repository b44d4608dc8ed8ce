"""Submitting a run and reading its status: ``POST /api/runs`` (and ``POST /run_backtest``),
``GET /api/runs/<run_id>`` (and ``GET /status/<run_id>``).

Polling is cheap: ``/status`` carries a weak ``ETag`` made from the run's status, attempts and
timestamps (one narrow SELECT, no JSON column), so ``If-None-Match`` answers 304 without
loading the result; ``?result=false`` is the status-only form that never loads
``result_json``, and ``result_url`` names the full result on its own URL.

A request identical to a stored SUCCEEDED run the submitter may read (``kinds.runs.cache``:
same canonical request, data bytes, engine and result schema versions) is answered from the
result cache instead, unless it says ``cache: false``: a new run, SUCCEEDED at once, whose
result is the source's (``kinds.runs.store.insert_cached``), and no Job.

Submission order is validate → INSERT PENDING → enqueue. The row comes first so the
consumer always finds it; if the enqueue fails the row is marked FAILED at once, so no
PENDING row is ever left that nothing will pick up. The INSERT rides out a database blip
of up to ``INSERT_RETRY_S``; a longer outage is a 503 with ``Retry-After`` and no run_id:
nothing was recorded, so there is no run to ask about and the same request may be sent
again.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from typing import Any

from flask import Response, current_app, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.process import RUN_MAX_MEMORY_MB
from kinds.runs.cache import cache_key
from kinds.runs.contract import RequestError, RunLabels, RunRequest, parse_labels, parse_request
from kinds.runs.execute import load_market_data
from kinds.runs.kind import RUN, RUN_CACHE, RUNS_SUBMITTED
from kinds.runs.run_memory import check_run_memory
from kinds.runs.signal_cost import checked_cost, cost_limits
from kinds.runs.store import (
    RunVersion,
    find_cache_source,
    get_run,
    get_run_header,
    get_run_version,
    insert_cached,
    insert_pending,
)
from kinds.runs.view import cache_sources, run_status_json, source_shown
from store.models import BacktestRun
from web.api.runs.access import check_run_read
from web.api.runs.blueprint import bp, legacy_route
from web.auth import current_user
from web.body import json_object
from web.db import get_session, image_tag
from web.errors import (
    DATABASE_ERRORS,
    ApiError,
    bad_request,
    forget_run_id,
    remember_run_id,
)
from web.ownership import readable_keys, visible
from web.query import flag
from web.queue import get_run_queue
from web.submit import (  # noqa: F401  (QUEUE_UNAVAILABLE, ENQUEUE_FAILED: re-exported)
    ENQUEUE_FAILED,
    QUEUE_UNAVAILABLE,
    RETRY_AFTER_S,
    Submission,
    already_queued,
    not_accepted,
    submit_work,
)
from web.telemetry import add_telemetry
from work.logs import run_context
from work.status import RunStatus
from work.telemetry import field

logger = logging.getLogger("web.runs")

ALREADY_QUEUED = already_queued(RUN)
NOT_ACCEPTED = not_accepted(RUN)
PENDING_ONLY = (RunStatus.PENDING,)
"""The run's answers of the one submission path (``web.submit``)."""


@cache
def json_schema() -> dict[str, Any]:
    """The run request's JSON Schema (``GET /api/schema/run``; built once per process)."""
    from kinds.runs.request_model import json_schema as run_json_schema

    return run_json_schema()


def validate_request(payload: dict) -> tuple[RunRequest, RunLabels, str]:
    """Check a request body against the contract, the data catalog, the signal cost caps
    (``kinds.runs.signal_cost``) and the Job's memory (``kinds.runs.run_memory``); the
    request, its
    labels (``name``, ``tags``, ``notes``: stored beside it, never part of it) and the
    ``data_hash`` of its ticker's file (the loader's, cached per path, mtime and size).

    :raise ApiError 400: naming the offending field.
    """
    try:
        run_request = parse_request(payload, strict=True)
        labels = parse_labels(payload)
        config = current_app.config
        history = load_market_data(run_request, config["DATA_DIR"], config["RUN_MAX_BARS"])
        start, cost = checked_cost(run_request, history, *cost_limits(config))
        check_run_memory(run_request, history, start, config[RUN_MAX_MEMORY_MB.name], cost)
    except RequestError as exc:
        raise bad_request(exc) from None
    return run_request, labels, history.data_hash


def serve_cached(run_request: RunRequest, labels: RunLabels, data_hash: str) -> str | None:
    """Record ``run_request`` as a run served from the result cache, in one transaction, when
    a SUCCEEDED run with its cache key exists that the submitter may read; that run's id, or
    None (nothing recorded: a Job must run it).

    :raise ApiError 409: the run_id is taken.
    :raise ApiError 503: the database is away (nothing recorded).
    """
    session = get_session()
    try:
        with session.begin():
            source = find_cache_source(
                session, cache_key(run_request, data_hash), visible(BacktestRun)
            )
            if source is None or not insert_cached(
                session,
                source,
                run_request,
                queue=get_run_queue().of(RUN).name,
                created_by=current_user(),
                labels=labels,
            ):
                return None
    except IntegrityError:
        logger.warning("refused: a run with this id exists in the database already")
        raise ApiError(409, "run_id already exists", field="run_id") from None
    except DATABASE_ERRORS as exc:
        logger.error("not accepted, database unavailable at the cache lookup: %s", exc)
        forget_run_id()
        raise ApiError(503, NOT_ACCEPTED, headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    return source


@bp.post("")  # the one URL scheme of every kind: /api/<kind>s
@legacy_route("/run_backtest", methods=["POST"])
def submit() -> ResponseReturnValue:
    """Validate a run request; answer it from the result cache (``serve_cached``) unless it
    says ``cache: false``, else record it PENDING and enqueue it; 202 with its URL either
    way (a cached run is SUCCEEDED already and names ``cached_from``)."""
    return submit_run(json_object())


def submit_run(payload: dict) -> ResponseReturnValue:
    """``submit`` of the run request ``payload`` (also a study's "run this trial")."""
    run_request, labels, data_hash = validate_request(payload)
    remember_run_id(run_request.run_id)
    status_url = url_for("runs.status", run_id=run_request.run_id)
    with run_context(run_request.run_id):
        use_cache = payload.get("cache", True)
        source = serve_cached(run_request, labels, data_hash) if use_cache else None
        outcome = "off" if not use_cache else "hit" if source else "miss"
        add_telemetry({field(RUN_CACHE, outcome=outcome): 1})
        if source is not None:
            logger.info("served from the cache of run %s", source)
            body = {
                "run_id": run_request.run_id,
                "status": RunStatus.SUCCEEDED,
                "status_url": status_url,
                "cached_from": source,
            }
            return body, 202, {"Location": status_url}

        def insert(session: Session, queue: str) -> None:
            insert_pending(
                session,
                run_request,
                image_tag(),
                queue=queue,
                created_by=current_user(),
                labels=labels,
            )
            logger.info(
                "accepted %s %s %s..%s",
                run_request.ticker,
                run_request.rule_id,
                run_request.start_date,
                run_request.end_date,
            )

        def fail(session: Session, error: str) -> int:
            return RUN.mark_failed(session, run_request.run_id, error, expected=PENDING_ONLY)

        submission = Submission(insert, [run_request.to_dict()], fail)
        submit_work(RUN, ("run_id", run_request.run_id), submission)
        add_telemetry({field(RUNS_SUBMITTED): 1})
    body = {"run_id": run_request.run_id, "status": RunStatus.PENDING, "status_url": status_url}
    return body, 202, {"Location": status_url}


def status_etag(run_id: str, version: RunVersion, with_result: bool) -> str:
    """The weak validator of one form of a run's status document: it changes whenever the
    status, the attempts or a timestamp does (and so the metrics, error or result), or a label."""
    parts = (run_id, version, with_result)
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


@bp.get("/<run_id>")
@legacy_route("/status/<path:run_id>", methods=["GET"])
def status(run_id: str) -> ResponseReturnValue:
    """The run's status, request, metrics and (once SUCCEEDED, unless ``result=false``) its
    full result; 304 when ``If-None-Match`` holds its current ETag."""
    with_result = flag("result", True)
    session = get_session()
    check_run_read(session, run_id)
    version = get_run_version(session, run_id)
    if version is None:
        raise ApiError(404, "run not found")
    tag = status_etag(run_id, version, with_result)
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag, weak=True)
        return response
    row = get_run(session, run_id) if with_result else get_run_header(session, run_id)
    if row is None:
        raise ApiError(404, "run not found")
    succeeded = row.status == RunStatus.SUCCEEDED
    result_url = url_for("runs.result_json", run_id=run_id) if succeeded else None
    document = run_status_json(
        row,
        result_url,
        with_result=with_result,
        source_readable=source_shown(
            row, readable_keys(session, BacktestRun, cache_sources([row]))
        ),
    )
    response = Response(document, mimetype="application/json")
    version = RunVersion.of(row)
    response.set_etag(status_etag(run_id, version, with_result), weak=True)
    response.headers["Cache-Control"] = "no-cache"  # keep it, but ask again (If-None-Match)
    return response
