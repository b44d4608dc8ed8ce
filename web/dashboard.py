"""The dashboard: server-rendered pages (run form, run page, history, compare), the run's
exports, and the small JSON endpoints its scripts poll (queue panel, run lookup, curves).

Pages: ``GET /`` (form), ``GET /runs`` (history), ``GET /runs/<id>`` (one run),
``GET /compare?ids=a,b`` (side by side). Exports: ``GET /runs/<id>/result.json`` (the
stored result, verbatim) and ``GET /runs/<id>/trades.csv`` (``adapters.trades_csv``), both
as attachments. JSON: ``GET /api/queue`` (``dashboard_queue.queue_snapshot``),
``GET /api/runs/lookup?ids=a,b`` (history summaries of up to 200 runs by id, for polling),
``GET /compare/curves.json?ids=a,b`` (equity curves of the compared runs).

The run page never loads ``result_json``: the first tab (Stats) is rendered from the
metrics column and the page's script fetches the result for the other tabs. Pages send a
Content-Security-Policy that allows scripts from this origin only, on top of Jinja's
autoescaping. With RQ_DASHBOARD_ENABLED=1, rq-dashboard is mounted at ``/rq``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from redis.exceptions import RedisError

import adapters
from data import load_catalog
from rules import RULES, describe_rules
from runs.store import (
    RunFilter,
    get_result_text,
    get_run_header,
    get_run_summaries,
    list_runs,
)
from store.models import BacktestRun, utcnow
from web import dashboard_format
from web.dashboard_form import NUMBER_FIELDS, TRADING_FIELDS
from web.dashboard_queue import queue_snapshot
from web.dashboard_rq import URL_PREFIX, mount_rq_dashboard, rq_dashboard_enabled
from web.db import get_session
from web.errors import DATABASE_ERRORS, ApiError, json_error
from web.history import run_filter
from web.present import iso_utc, run_summary
from web.queue import get_run_queue
from web.runs import is_run_id
from work.status import ALL_STATUSES, FINISHED, RunStatus

logger = logging.getLogger("web.dashboard")

bp = Blueprint("dashboard", __name__)

PER_PAGE = 50
"""Runs per history page."""

LOOKUP_MAX = 200
"""Most run ids one ``/api/runs/lookup`` answers."""

COMPARE_MAX = 10
"""Most runs one compare page shows."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Sent with every dashboard response: no inline or third-party script can run."""

PAGES = frozenset(
    {"dashboard.form", "dashboard.history", "dashboard.run_page", "dashboard.compare"}
)
"""Endpoints answered with HTML (errors there are HTML pages too)."""

_PAGE = re.compile(r"[0-9]{1,9}")


@bp.record_once
def _setup(state) -> None:
    """Register the template filters and, when enabled, mount rq-dashboard."""
    dashboard_format.init_app(state.app)
    state.app.config.setdefault("RQ_DASHBOARD_MOUNTED", False)
    if rq_dashboard_enabled(state.app):
        mount_rq_dashboard(state.app)
        state.app.config["RQ_DASHBOARD_MOUNTED"] = True


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    page = render_template("dashboard/error.html", title=title, message=message, **_nav())
    return page, status


def _unavailable(error: Exception) -> Response | tuple[str, int]:
    """503 for a database or Redis outage: an HTML page on pages, JSON elsewhere."""
    what = "queue" if isinstance(error, RedisError) else "database"
    logger.error("%s unavailable: %s", what, error.__class__.__name__)
    if request.endpoint in PAGES:
        return _error_page(503, f"{what} unavailable", f"The {what} cannot be reached; retry.")
    return json_error(503, f"{what} unavailable")


for _error_class in (*DATABASE_ERRORS, RedisError):
    bp.register_error_handler(_error_class, _unavailable)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _tickers() -> list[dict[str, Any]]:
    catalog = load_catalog(current_app.config["DATA_DIR"])
    return [
        {"ticker": info.ticker, "name": info.name, "synthetic": info.synthetic}
        for info in catalog.tickers()
    ]


def _nav() -> dict[str, Any]:
    """What every page's navigation bar needs."""
    return {"rq_url": URL_PREFIX + "/" if current_app.config.get("RQ_DASHBOARD_MOUNTED") else None}


@bp.get("/")
def form():
    """The run form (prefilled from ``?from=<run_id>`` when that run exists)."""
    initial = None
    source = request.args.get("from", "")
    if is_run_id(source):
        row = get_run_header(get_session(), source)
        if row is not None:
            initial = _loads(row.request_json)
            initial.pop("run_id", None)
    return render_template(
        "dashboard/form.html",
        tickers=_tickers(),
        rules=describe_rules(),
        trading_fields=[f.to_dict() for f in TRADING_FIELDS],
        number_fields=NUMBER_FIELDS,
        initial=initial,
        **_nav(),
    )


def _page_number() -> int:
    raw = request.args.get("page", "").strip()
    return int(raw) if _PAGE.fullmatch(raw) and int(raw) >= 1 else 1


def _page_links(page: int, pages: int) -> list[int | None]:
    """Page numbers to link: the first, the last and two around ``page``; None is a gap.

    >>> _page_links(5, 9)
    [1, None, 3, 4, 5, 6, 7, None, 9]
    """
    shown = sorted({1, pages, *range(max(page - 2, 1), min(page + 2, pages) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - links[-1] > 1:
            links.append(None)
        links.append(number)
    return links


@bp.get("/runs")
def history():
    """Every run, newest first, paginated and filtered by status, ticker and rule."""
    error = None
    try:
        filters = run_filter()
    except ApiError as exc:
        error = f"{exc.field}: {exc.message}"
        filters = RunFilter()
    page = _page_number()
    rows, total = list_runs(get_session(), filters, page=page, per_page=PER_PAGE)
    pages = max(math.ceil(total / PER_PAGE), 1)
    return render_template(
        "dashboard/runs.html",
        runs=[run_summary(row) for row in rows],
        filters=filters,
        error=error,
        page=page,
        pages=pages,
        page_links=_page_links(min(page, pages), pages),
        total=total,
        statuses=ALL_STATUSES,
        tickers=_tickers(),
        rule_types=list(RULES),
        history_metrics=dashboard_format.HISTORY_METRICS,
        **_nav(),
    )


def _not_found(run_id: str) -> tuple[str, int]:
    return _error_page(404, "run not found", f"There is no run with id {run_id[:80]}.")


@bp.get("/runs/<run_id>")
def run_page(run_id: str):
    """One run: KPIs, charts, trades, provenance; a waiting run refreshes itself."""
    row = get_run_header(get_session(), run_id) if is_run_id(run_id) else None
    if row is None:
        return _not_found(run_id)
    metrics = _loads(row.metrics_json) or {}
    run_request = _loads(row.request_json) or {}
    return render_template(
        "dashboard/run.html",
        run=row,
        run_request=run_request,
        request_text=json.dumps(run_request, indent=2),
        metrics=metrics,
        kpis=dashboard_format.KPI_METRICS,
        created_iso=iso_utc(row.created_at),
        now_iso=iso_utc(utcnow()),
        queued_for=dashboard_format.duration(row.created_at, row.started_at),
        ran_for=dashboard_format.duration(row.started_at, row.completed_at),
        finished=row.status in FINISHED,
        **_nav(),
    )


def _stored_result(run_id: str) -> str:
    """The stored result JSON text of a SUCCEEDED run.

    :raise ApiError 404: no such run; 409: the run has no result (not SUCCEEDED).
    """
    found = get_result_text(get_session(), run_id) if is_run_id(run_id) else None
    if found is None:
        raise ApiError(404, "run not found")
    status, text = found
    if status != RunStatus.SUCCEEDED or not text:
        raise ApiError(409, f"the run has no result (it is {status})", status=status)
    return text


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/runs/<run_id>/result.json")
def result_json(run_id: str):
    """The run's full stored result as a JSON download."""
    return _attachment(_stored_result(run_id), "application/json", f"run-{run_id}.json")


@bp.get("/runs/<run_id>/trades.csv")
def trades_csv(run_id: str):
    """The run's trades as a CSV download (header: ``adapters.TRADE_FIELDS``)."""
    trades = json.loads(_stored_result(run_id)).get("trades") or []
    return _attachment(adapters.trades_csv(trades), "text/csv", f"trades-{run_id}.csv")


def _ids(limit: int) -> list[str]:
    """The ``ids`` query parameter: comma-separated run ids, duplicates dropped.

    :raise ApiError 400: (field ``ids``) when one is not a run id or there are too many.
    """
    ids = list(dict.fromkeys(part.strip() for part in request.args.get("ids", "").split(",")))
    ids = [run_id for run_id in ids if run_id]
    bad = [run_id for run_id in ids if not is_run_id(run_id)]
    if bad:
        raise ApiError(400, f"is not a run id: {bad[0][:40]!r}", field="ids")
    if len(ids) > limit:
        raise ApiError(400, f"at most {limit} run ids", field="ids")
    return ids


@bp.get("/api/runs/lookup")
def lookup():
    """History summaries (status, metrics; no result) of the runs named by ``ids``."""
    ids = _ids(LOOKUP_MAX)
    rows = get_run_summaries(get_session(), ids)
    found = {row.run_id for row in rows}
    return {
        "runs": [run_summary(row) for row in rows],
        "missing": [run_id for run_id in ids if run_id not in found],
    }


@bp.get("/api/queue")
def queue_panel():
    """Queued / running / failed counts and the consumers running now (RQ's registries)."""
    return {**queue_snapshot(get_run_queue().queue), "checked_at": iso_utc(utcnow())}


def _label(row: BacktestRun) -> str:
    return f"{row.ticker} {row.rule_id} · {row.run_id[:8]}"


@bp.get("/compare")
def compare():
    """Finished runs side by side: a metrics table and their equity curves on one chart."""
    try:
        ids = _ids(COMPARE_MAX)
    except ApiError as exc:
        return _error_page(400, "cannot compare", f"{exc.field}: {exc.message}")
    rows = get_run_summaries(get_session(), ids)
    found = {row.run_id for row in rows}
    runs = [
        {
            "row": row,
            "label": _label(row),
            "metrics": _loads(row.metrics_json) or {},
            "request": _loads(row.request_json) or {},
        }
        for row in rows
    ]
    table = []
    for metric in dashboard_format.KPI_METRICS:
        values = [run["metrics"].get(metric.key) for run in runs]
        table.append(
            {
                "metric": metric,
                "values": values,
                "best": dashboard_format.best_index(values, metric.better),
            }
        )
    return render_template(
        "dashboard/compare.html",
        runs=runs,
        table=table,
        missing=[run_id for run_id in ids if run_id not in found],
        ids=",".join(run["row"].run_id for run in runs),
        **_nav(),
    )


@bp.get("/compare/curves.json")
def compare_curves():
    """Equity curves of the SUCCEEDED runs among ``ids``: ``{"runs": [{"run_id", "label",
    "initial_capital", "timestamps", "equity"}]}``, in the order given."""
    curves = []
    for row in get_run_summaries(get_session(), _ids(COMPARE_MAX)):
        if row.status != RunStatus.SUCCEEDED:
            continue
        found = get_result_text(get_session(), row.run_id)
        if found is None or not found[1]:
            continue
        result = json.loads(found[1])
        equity = result.get("equity_curve") or {}
        curves.append(
            {
                "run_id": row.run_id,
                "label": _label(row),
                "initial_capital": (result.get("request") or {}).get("initial_capital"),
                "timestamps": equity.get("timestamps", []),
                "equity": equity.get("equity", []),
            }
        )
    return {"runs": curves}
