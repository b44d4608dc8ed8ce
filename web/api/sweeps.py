"""Parameter sweeps: the JSON API (the pages are ``web.pages.sweeps``).

API (errors are ``{"error", "field"?}``; a bad input is a 400 naming it):
``POST /api/sweeps`` (202 ``{sweep_id, status, combos, skipped, chunks, status_url}``; an
identical finished sweep the viewer may read answers it from the result cache unless it says
``cache: false``: SUCCEEDED at once with ``cached_from``, no chunk queued),
``GET /api/sweeps`` (newest first, paginated; a walk-forward fold's training sweep only
with ``folds=true``), ``GET /api/sweeps/<id>`` (status derived
from the chunks, progress, timings, the best 10 combos by ``?metric=``),
``GET /api/sweeps/<id>/results`` (sorted, paginated, ``top``), ``…/results.csv``,
``…/heatmap`` and ``…/line`` (``kinds.sweeps.view``), ``…/combos/<combo_no>`` (one combo
and the run request that runs it on its own), ``PATCH /api/sweeps/<id>`` (``{"shared"}``).
A sweep the viewer may not read is the 404 of a missing one; lists show theirs and the shared
ones (``web.ownership``).

A thin HTTP layer over the ``sweeps`` package: submission is ``kinds.sweeps.service.submit_sweep``
(validate → room on the sweep queue, SWEEP_QUEUE → INSERT the sweep and its chunks PENDING →
enqueue one message per chunk there); if Redis fails, the chunks not enqueued yet are FAILED
"queue unavailable" and the answer is 503. When the sweep queue already holds so many chunks
that this sweep's would pass SWEEP_MAX_PENDING_CHUNKS, nothing is recorded and the answer is
429 with ``Retry-After`` (field ``grid``; 400 if the sweep alone needs more).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Collection
from functools import cache
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request, url_for
from flask.typing import ResponseReturnValue

from config.process import combination_max_bars
from kinds.runs.contract import RequestError
from kinds.runs.view import cache_sources, source_shown
from kinds.sweeps.backfill_kind import CSV_BACKFILL
from kinds.sweeps.cache import sweep_cache_key
from kinds.sweeps.cached import find_sweep_source, insert_cached_sweep
from kinds.sweeps.caps import RequestCaps
from kinds.sweeps.contract import SWEEP_ID, combo_run_request, default_chunk_size
from kinds.sweeps.csv_parts import CsvState, csv_state, read_part, stored_rows, write_parts
from kinds.sweeps.csv_preparing import BackfillFailed, prepare_csv
from kinds.sweeps.export import StoredCsv
from kinds.sweeps.fields import SUBMISSION_FIELDS
from kinds.sweeps.grid import MAX_COMBOS
from kinds.sweeps.kind import CHUNK, CHUNKS_SUBMITTED, SWEEP_CACHE, SWEEPS_SUBMITTED
from kinds.sweeps.search_sweep import (
    SearchSweep,
    is_search_request,
    parse_search_sweep,
    point_request,
    searchable_kind,
)
from kinds.sweeps.service import (
    QueueFull,
    check_room,
    data_hashes,
    metric_batches,
    result_dict,
    sweep_submission,
    timings,
    validate_sweep,
)
from kinds.sweeps.status import SweepStatus
from kinds.sweeps.store import (
    Bounds,
    SweepState,
    get_result,
    get_sweep,
    list_chunks,
    results_page,
    set_sweep_shared,
    sort_keys,
    sweep_states,
)
from kinds.sweeps.summary import sweep_summary
from kinds.sweeps.view import aggregate_batches, dimensions, parse_fixed
from kinds.walkforward.store import folds_by_sweep, listed_sweeps
from metrics import lower_is_better, sweep_metric_keys
from store.models import Sweep
from web.api.kind import check_base
from web.auth import current_user
from web.body import json_object
from web.db import get_session, image_tag, streamed_with_session
from web.errors import DATABASE_ERRORS, ApiError, bad_request
from web.ownership import ItemLookup, readable_keys, set_sharing, visible
from web.query import count, flag, paging
from web.queue import get_run_queue
from web.submit import submit_work
from web.telemetry import add_telemetry
from work.retry import DatabaseUnavailable
from work.submit import AlreadyQueued, QueueUnavailable
from work.telemetry import field

logger = logging.getLogger("web.sweeps")

bp = Blueprint("sweeps", __name__)

T = TypeVar("T")

BEST_COUNT = 10
"""Combos in a status answer's ``best``."""

PER_PAGE_DEFAULT, PER_PAGE_MAX = 50, 500

QUEUE_FULL_RETRY_S = 60
"""The ``Retry-After`` of a sweep refused because the sweep queue is full, in seconds."""


# -- submitting ------------------------------------------------------------------------


def _use_cache(payload: dict) -> bool:
    """The submission's ``cache`` flag (``kinds.sweeps.fields.SUBMISSION_FIELDS``).

    :raise ApiError 400: naming ``cache`` when it is not true or false.
    """
    value = payload.get("cache", True)
    if not isinstance(value, bool):
        raise ApiError(400, "must be true or false", field="cache")
    return value


@cache
def sweep_schema(chunk_size: int) -> dict[str, Any]:
    """The sweep request's JSON Schema with ``chunk_size`` as its default (built once)."""
    from kinds.sweeps.request_model import sweep_json_schema

    return sweep_json_schema(chunk_size)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``POST /api/sweeps``' body with the app's default chunk size
    (``GET /api/schema/sweep``)."""
    return sweep_schema(default_chunk_size(current_app.config["SWEEP_CHUNK_SIZE"]))


def check_search_request(payload: dict, caps: RequestCaps) -> SearchSweep:
    """A sweep over another kind's base (``kinds.sweeps.search_sweep``), its base checked
    like a submission of that kind (its data too: the kind's own ``validate``), 400 naming
    the field (``base.tickers[2]``, ``grid.lookback``)."""
    try:
        sweep = parse_search_sweep(payload, caps)
        kind, _ = searchable_kind(sweep.kind)
    except RequestError as exc:
        raise bad_request(exc) from None
    check_base(kind, payload["base"])
    return sweep


def check_request(payload: dict):
    """The sweep request, with every ticker's data checked like a run's (400 naming it);
    the submission's own fields (``cache``) checked and left out of it. A request naming
    another ``kind`` is a sweep over that kind's base (``check_search_request``)."""
    _use_cache(payload)
    payload = {name: value for name, value in payload.items() if name not in SUBMISSION_FIELDS}
    if is_search_request(payload):
        return check_search_request(payload, RequestCaps.from_config(current_app.config))
    return validated(validate_sweep, payload, compact=True)


def validated(validate: Callable[..., T], payload: dict[str, Any], *, compact: bool = False) -> T:
    """``validate`` (``validate_sweep``, ``validate_walkforward``) of ``payload`` under the
    app's data directory, chunk size, bar limit and request caps (``compact``: with the
    compact form of a large sweep, ``kinds.sweeps.caps.CompactForm``); a refusal is the 400
    naming its field."""
    config = current_app.config
    try:
        return validate(
            payload,
            config["DATA_DIR"],
            chunk_size=config["SWEEP_CHUNK_SIZE"],
            bar_limit=combination_max_bars(config["RUN_MAX_BARS"]),
            caps=RequestCaps.from_config(config, compact=compact),
        )
    except RequestError as exc:
        raise bad_request(exc) from None


DATABASE_UNAVAILABLE = "database unavailable"
"""The 503 of a sweep or walk-forward whose INSERT could not be made (nothing recorded)."""


def queue_full(exc: QueueFull) -> ApiError:
    """The answer to a submission the sweep queue has no room for: 400 (field ``grid``) when
    it alone needs more chunks than the queue may hold, else 429 with ``Retry-After``."""
    if exc.never_fits:
        return ApiError(400, f"{exc}; send a smaller grid", field="grid")
    retry = {"Retry-After": str(QUEUE_FULL_RETRY_S)}
    return ApiError(429, f"{exc}; retry later", field="grid", headers=retry)


class _SourceGone(Exception):
    """The cache's source stopped being a finished sweep during the copy: roll it back."""


def _serve_cached(sweep, key: str) -> str | None:
    """Record ``sweep`` as a copy of a finished sweep with cache key ``key`` the viewer may
    read (``kinds.sweeps.cached``), in one transaction; that sweep's id, or None (nothing
    recorded: its chunks must run).

    :raise ApiError 503: the database is away (nothing recorded).
    """
    session = get_session()
    try:
        with session.begin():
            source = find_sweep_source(session, key, visible(Sweep))
            if source is None:
                return None
            if not insert_cached_sweep(session, source, sweep, created_by=current_user()):
                raise _SourceGone
    except _SourceGone:
        return None
    except DATABASE_ERRORS as exc:
        logger.error("sweep %s not accepted, database unavailable at the cache lookup: %s",
                     sweep.sweep_id, exc)  # fmt: skip
        raise ApiError(503, DATABASE_UNAVAILABLE) from None
    return source


def _accepted(sweep, status: str, chunks: int, **extra: Any) -> ResponseReturnValue:
    """The 202 of an accepted sweep: its counts and status URL (``Location`` too)."""
    status_url = url_for("sweeps.status", sweep_id=sweep.sweep_id)
    body = {
        "sweep_id": sweep.sweep_id,
        "status": status,
        "combos": sweep.combos,
        "skipped": sweep.grid.skipped,
        "chunks": chunks,
        "status_url": status_url,
        **extra,
    }
    return body, 202, {"Location": status_url}


@bp.post("/api/sweeps")
def submit() -> ResponseReturnValue:
    """Validate a sweep; answer it from the result cache (``_serve_cached``) unless it says
    ``cache: false``; else record it and its chunks PENDING, enqueue one message per chunk."""
    payload = json_object()
    sweep = check_request(payload)
    config = current_app.config
    key, source = None, None
    if not isinstance(sweep, SearchSweep):  # a search sweep's points are never cached
        hashes = data_hashes(
            sweep, config["DATA_DIR"], combination_max_bars(config["RUN_MAX_BARS"])
        )
        key = sweep_cache_key(sweep, hashes)
        use_cache = _use_cache(payload)
        source = _serve_cached(sweep, key) if use_cache else None
        outcome = "off" if not use_cache else "hit" if source else "miss"
        add_telemetry({field(SWEEP_CACHE, outcome=outcome): 1})
    if source is not None:
        logger.info("sweep %s served from the cache of sweep %s", sweep.sweep_id, source)
        return _accepted(sweep, SweepStatus.SUCCEEDED, sweep.chunk_count, cached_from=source)
    submission = sweep_submission(
        sweep, image_tag=image_tag(), created_by=current_user(), cache_key=key
    )
    chunks = submission.messages
    try:
        check_room(
            get_run_queue().of(CHUNK), len(chunks), current_app.config["SWEEP_MAX_PENDING_CHUNKS"]
        )
    except QueueFull as exc:
        logger.warning("sweep %s refused: %s", sweep.sweep_id, exc)
        raise queue_full(exc) from None
    submit_work(
        CHUNK,
        ("sweep_id", sweep.sweep_id),
        submission,
        refused=DATABASE_UNAVAILABLE,
        size_field="grid",
    )
    logger.info(
        "sweep %s accepted: %s %s, %d combos in %d chunks",
        sweep.sweep_id,
        sweep.rule_type,
        ",".join(sweep.tickers),
        sweep.combos,
        len(chunks),
    )
    add_telemetry({field(SWEEPS_SUBMITTED): 1, field(CHUNKS_SUBMITTED): len(chunks)})
    return _accepted(sweep, SweepStatus.PENDING, len(chunks))


# -- reading ---------------------------------------------------------------------------


SWEEPS = ItemLookup(Sweep, get_sweep, SWEEP_ID, "sweep")
"""A sweep by the id in a URL."""


def _metric(name: str = "metric", default: str = "sharpe_ratio", allowed=None) -> str:
    """The query's ``name``: one of ``allowed`` (default: every metric a sweep stores, read
    from the registry now)."""
    allowed = sweep_metric_keys() if allowed is None else allowed
    value = request.args.get(name, "").strip() or default
    if value not in allowed:
        raise ApiError(400, f"must be one of: {', '.join(allowed)}", field=name)
    return value


def _summary(
    row: Sweep, state: SweepState, fold: tuple[str, int] | None, readable: Collection[str]
) -> dict[str, Any]:
    """``kinds.sweeps.summary.sweep_summary`` with the sweep's URLs, naming the sweep it was
    copied from only when it is in ``readable`` (the viewer's readable ``cache_sources``)."""
    status_url = url_for("sweeps.status", sweep_id=row.sweep_id)
    page_url = url_for("sweep_pages.sweep_page", sweep_id=row.sweep_id)
    shown = source_shown(row, readable)
    return sweep_summary(
        row, state, fold, status_url=status_url, page_url=page_url, source_readable=shown
    )


def _descending(metric: str) -> bool:
    return not lower_is_better(metric)


def _bounds() -> Bounds:
    """The query's ``min.<metric>`` / ``max.<metric>`` filters: per metric (any a sweep
    stores), the lowest and highest value a listed result may have."""
    bounds: Bounds = {}
    keys = sweep_metric_keys()
    for key, text in request.args.items():
        side, _, name = key.partition(".")
        if side not in ("min", "max") or not name:
            continue
        if name not in keys:
            raise ApiError(400, f"must name a metric: one of {', '.join(keys)}", field=key[:80])
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ApiError(400, "must be a finite number", field=key[:80])
        low, high = bounds.get(name, (None, None))
        bounds[name] = (value, high) if side == "min" else (low, value)
    return bounds


@bp.get("/api/sweeps")
def list_all() -> ResponseReturnValue:
    """One page of sweeps, newest first, each with its derived status and progress; the
    sweeps that train a walk-forward fold only with ``folds=true``."""
    page = count("page", 1, 1, 10**9 - 1)
    per_page = count("per_page", PER_PAGE_DEFAULT, 1, 200)
    rows, total = listed_sweeps(
        get_session(),
        page=page,
        per_page=per_page,
        visible=visible(Sweep),
        folds=flag("folds", default=False),
    )
    states = sweep_states(get_session(), rows)
    folds = folds_by_sweep(get_session(), [row.sweep_id for row in rows])
    readable = readable_keys(get_session(), Sweep, cache_sources(rows))
    return {
        "sweeps": [
            _summary(row, states[row.sweep_id], folds.get(row.sweep_id), readable) for row in rows
        ],
        **paging(page, per_page, total),
    }


def _timings(sweep_id: str) -> dict[str, Any]:
    """Per-chunk timings summed: where the sweep's time went."""
    return timings(list_chunks(get_session(), sweep_id))


@bp.get("/api/sweeps/<sweep_id>")
def status(sweep_id: str) -> ResponseReturnValue:
    """The sweep's status and progress (from its chunks), request, timings and best combos."""
    row = SWEEPS.one(sweep_id)
    metric = _metric()
    state = sweep_states(get_session(), [row])[row.sweep_id]
    best, _ = results_page(
        get_session(), row.sweep_id, sort=metric, descending=_descending(metric), per_page=10
    )
    fold = folds_by_sweep(get_session(), [row.sweep_id]).get(row.sweep_id)
    readable = readable_keys(get_session(), Sweep, cache_sources([row]))
    return {
        **_summary(row, state, fold, readable),
        "request": json.loads(row.request_json),
        "timings": _timings(row.sweep_id),
        "metric": metric,
        "best": [result_dict(result) for result in best],
        "overfitting_url": url_for("sweeps.overfitting_stats", sweep_id=row.sweep_id),
        "overfitting_ready": row.overfitting_json is not None,
    }


@bp.get("/api/sweeps/<sweep_id>/overfitting")
def overfitting_stats(sweep_id: str) -> ResponseReturnValue:
    """The finished sweep's overfitting statistics (PBO by CSCV, the deflated Sharpe of its
    best, parameter stability, the verdict; docs/sweeps.md): stored by its last chunk, or
    computed now for a finished sweep that has none yet; 409 while chunks are unfinished."""
    from kinds.sweeps.overfitting import overfitting, store_overfitting
    from store.dbapi import as_tx

    row = SWEEPS.one(sweep_id)
    if row.overfitting_json:
        return Response(row.overfitting_json, mimetype="application/json")
    session = get_session()
    stats = overfitting(as_tx(session), sweep_id)
    if stats is None:
        raise ApiError(409, "the sweep has not finished (or a chunk failed)")
    store_overfitting(as_tx(session), sweep_id, stats)
    session.commit()
    return stats


@bp.get("/api/sweeps/<sweep_id>/overfitting.csv")
def overfitting_export(sweep_id: str) -> ResponseReturnValue:
    """The overfitting statistics as CSV, one row per ticker (docs/sweeps.md)."""
    from kinds.sweeps.overfitting import overfitting_csv

    answer = overfitting_stats(sweep_id)
    stats = json.loads(answer.get_data()) if isinstance(answer, Response) else answer
    response = Response(overfitting_csv(stats), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="overfitting-{sweep_id}.csv"'
    return response


@bp.get("/api/sweeps/<sweep_id>/results")
def results(sweep_id: str) -> ResponseReturnValue:
    """Stored combos sorted by ``sort`` (any metric or combo_no; ``order`` asc|desc, default
    best first), ``page``/``per_page`` (<= 500), ``top`` (only the first N), ``ticker``,
    ``min.<metric>`` / ``max.<metric>`` (only combos with the metric within them)."""
    row = SWEEPS.one(sweep_id)
    sort = _metric("sort", "combo_no", sort_keys())
    bounds = _bounds()
    order = request.args.get("order", "").strip().lower()
    if order not in ("", "asc", "desc"):
        raise ApiError(400, "must be asc or desc", field="order")
    descending = order == "desc" if order else (sort != "combo_no" and _descending(sort))
    page = count("page", 1, 1, 10**9 - 1)
    per_page = count("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    top = count("top", 0, 1, MAX_COMBOS) or None
    ticker = request.args.get("ticker", "").strip().upper() or None
    rows, total = results_page(
        get_session(),
        row.sweep_id,
        sort=sort,
        descending=descending,
        page=page,
        per_page=per_page,
        top=top,
        ticker=ticker,
        bounds=bounds,
    )
    return {
        "results": [result_dict(result) for result in rows],
        "sort": sort,
        "order": "desc" if descending else "asc",
        **paging(page, per_page, total),
    }


CSV_PREPARING = (
    "this sweep's CSV is being prepared: {missing} of its chunks ran before the CSV was kept "
    "with them (or under other metrics), so a Job evaluates them again; ask again after "
    "Retry-After seconds"
)
"""The 202's message while a backfill writes a compactly stored sweep's missing CSV parts."""

CSV_RETRY_S = 5
"""The ``Retry-After`` of that 202 and of a 503 that could not queue the backfill."""

CSV_NOT_PREPARED = (
    "this sweep's CSV could not be prepared: {error}; an operator writes it with "
    "`python -m kinds.sweeps.csv_backfill {sweep_id}` (docs/sweeps.md, CSV)"
)
"""The 409 once ``MAX_FAILED`` backfills of the sweep failed."""


def _csv_preparing(row: Sweep, missing: int) -> ResponseReturnValue:
    """The 202 of a compactly stored sweep whose finished chunks lack their CSV parts,
    naming the backfill that writes them (queued by this download if none waits or runs:
    ``kinds.sweeps.csv_preparing``).

    :raise ApiError 409: its backfills failed ``MAX_FAILED`` times (the last one's error).
    :raise ApiError 503: the database or Redis is away (with ``Retry-After``).
    """
    retry = {"Retry-After": str(CSV_RETRY_S)}
    try:
        preparing = prepare_csv(get_session(), get_run_queue().of(CSV_BACKFILL), row)
    except BackfillFailed as exc:
        message = CSV_NOT_PREPARED.format(error=exc.error, sweep_id=row.sweep_id)
        raise ApiError(409, message, backfill_id=exc.backfill_id) from None
    except (QueueUnavailable, AlreadyQueued, DatabaseUnavailable, *DATABASE_ERRORS) as exc:
        logger.error("sweep %s: CSV backfill not queued: %s", row.sweep_id, exc)
        raise ApiError(503, "the CSV backfill could not be queued", headers=retry) from None
    logger.info("sweep %s: CSV prepared by %s", row.sweep_id, preparing.backfill_id)
    body = {
        "sweep_id": row.sweep_id,
        "status": "preparing",
        "message": CSV_PREPARING.format(missing=missing),
        "backfill_id": preparing.backfill_id,
        "backfill_status": preparing.status,
        "chunks_missing": missing,
    }
    return body, 202, retry


def _stored_csv(row: Sweep, state: CsvState) -> StoredCsv:
    """The sweep's CSV as stored; a chunk of a sweep stored row by row that lacks its part
    gets it written from its rows first (bounded by the sweep's rows: at most
    SWEEP_COMPACT_ABOVE; no evaluation)."""
    if not state.missing:
        return state.stored
    session = get_session()
    written = write_parts(session, row, state, stored_rows)
    logger.info("sweep %s: %d CSV parts written from its rows", row.sweep_id, written)
    return csv_state(session, row).stored


@bp.get("/api/sweeps/<sweep_id>/results.csv")
def results_csv(sweep_id: str) -> ResponseReturnValue:
    """Every finished combo as CSV (combo_no, ticker, the swept params, the metrics), served
    from the parts its chunks' Jobs stored (``kinds.sweeps.export``): ``Content-Length``
    always, gzip when the client accepts it, an ``ETag`` (``If-None-Match`` → 304); a 202
    with ``Retry-After`` while a Job writes the parts a compactly stored sweep lacks."""
    row = SWEEPS.one(sweep_id)
    state = csv_state(get_session(), row)
    if state.missing and row.top_k is not None:
        return _csv_preparing(row, len(state.missing))
    stored = _stored_csv(row, state)
    gzip = request.accept_encodings.quality("gzip") > 0
    etag = stored.etag() + ("-gzip" if gzip else "")
    headers = {
        "Content-Disposition": f'attachment; filename="sweep-{sweep_id}.csv"',
        "ETag": f'"{etag}"',
        "Vary": "Accept-Encoding",
    }
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(stored.gzip_size if gzip else stored.size)

    def body(session):
        return stored.body(lambda chunk_no: read_part(session, sweep_id, chunk_no), gzip=gzip)

    return Response(streamed_with_session(body), mimetype="text/csv", headers=headers)


def _view(sweep_id: str, two_d: bool) -> dict[str, Any]:
    """A line or heatmap of the request's ``metric`` (``kinds.sweeps.view.aggregate_batches``)."""
    row = SWEEPS.one(sweep_id)
    stored = json.loads(row.request_json)
    dims = dimensions(stored)
    metric = _metric()
    names = list(dims)
    x = request.args.get("x", "").strip() or names[0]
    y = (request.args.get("y", "").strip() or (names[1] if len(names) > 1 else "")) or None
    if not two_d:
        y = None
    elif y is None:
        raise ApiError(400, "a heatmap needs two dimensions; this sweep has one", field="y")
    raw_fixed = {key[4:]: value for key, value in request.args.items() if key.startswith("fix.")}
    try:
        fixed = parse_fixed(dims, raw_fixed)
        view = aggregate_batches(
            dims,
            metric_batches(get_session(), row, metric, dims),
            metric=metric,
            x=x,
            y=y,
            agg=request.args.get("agg", "").strip() or "max",
            fixed=fixed,
        )
    except RequestError as exc:
        raise bad_request(exc) from None
    return {
        "sweep_id": row.sweep_id,
        "metric": metric,
        "agg": request.args.get("agg") or "max",
        "fixed": fixed,
        "dimensions": dims,
        **view,
    }


@bp.get("/api/sweeps/<sweep_id>/heatmap")
def heatmap(sweep_id: str) -> ResponseReturnValue:
    """``metric`` over dimensions ``x`` and ``y``; others fixed (``fix.<dim>=v``) or
    aggregated (``agg`` max|mean|min); each cell names its best combo."""
    return _view(sweep_id, two_d=True)


@bp.get("/api/sweeps/<sweep_id>/line")
def line(sweep_id: str) -> ResponseReturnValue:
    """``metric`` over dimension ``x``; others fixed or aggregated as for the heatmap."""
    return _view(sweep_id, two_d=False)


@bp.get("/api/sweeps/<sweep_id>/combos/<int(max=999999999):combo_no>")
def combo(sweep_id: str, combo_no: int) -> ResponseReturnValue:
    """One stored combo and ``run_request``: the body that runs it on its own, with charts."""
    row = SWEEPS.one(sweep_id)
    result = get_result(get_session(), row.sweep_id, combo_no)
    if result is None:
        raise ApiError(404, "combo not found (not stored yet, or out of range)")
    body = result_dict(result)
    stored = json.loads(row.request_json)
    if is_search_request(stored):
        request = point_request(stored, body["combo_no"], body["params"])
        return {**body, "kind": stored["kind"], "request": request}
    return {**body, "run_request": combo_run_request(stored, result.ticker, body["params"])}


@bp.patch("/api/sweeps/<sweep_id>")
def share(sweep_id: str) -> ResponseReturnValue:
    """Share the sweep read-only with every signed-in user, or stop (``{"shared": bool}``;
    its owner or an admin only)."""
    shared = set_sharing(sweep_id, SWEEPS.row, set_sweep_shared, SWEEPS.not_found)
    return {"sweep_id": sweep_id, "shared": shared}
