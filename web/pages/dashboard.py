"""The dashboard's run pages, server-rendered: ``GET /`` (the run form), ``GET /runs``
(history), ``GET /runs/<id>`` (one run), ``GET /compare?ids=a,b`` (side by side). Their
scripts read the JSON API (``web.api``: the run's result and exports, the lookup they poll,
the queue panel, the compared curves).

The run page never loads ``result_json``: the first tab (Stats) is rendered from the
metrics column and the page's script fetches the result for the other tabs. With
RQ_DASHBOARD_ENABLED=1, rq-dashboard is mounted at ``/rq``.
"""

from __future__ import annotations

import json
import math

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from adapters.metrics import run_warnings
from kinds.runs.python_request import describe as describe_python
from kinds.runs.query import COMPARE_MAX, is_run_id, run_filter, run_ids, run_sort, sort_keys
from kinds.runs.store import RunFilter, RunSort, get_run_header, get_run_summaries
from kinds.runs.view import (
    LISTING,
    cache_sources,
    run_label,
    run_labels,
    source_shown,
)
from metrics import all_metrics
from metrics import metric as metric_def
from rules import RULES, describe_rules
from store.models import BacktestRun, utcnow
from web.db import get_session
from web.errors import ApiError
from web.ownership import (
    may_manage,
    may_read,
    readable,
    readable_keys,
    readable_row,
    viewer_page,
)
from web.pages import format as page_format
from web.pages.compare_setup import setup_rows
from web.pages.form_fields import (
    ENTRY_ORDER,
    NUMBER_FIELDS,
    RUN_FLAGS,
    SIZE_EXPR,
    TRADING_FIELDS,
)
from web.pages.layout import (
    error_page,
    nav,
    not_found_page,
    preset_viewer,
    register_unavailable,
    serve_missing_pages,
    tickers,
)
from web.pages.rq_dashboard import mount_rq_dashboard, rq_dashboard_enabled
from web.present import iso_utc, json_or_none
from web.query import count
from work.errors import RequestError
from work.status import ALL_STATUSES, FINISHED

bp = Blueprint("dashboard", __name__)
register_unavailable(bp)
serve_missing_pages(bp)

PER_PAGE = 50
"""Runs per history page."""


@bp.record_once
def _setup(state) -> None:
    """Register the template filters and, when enabled, mount rq-dashboard."""
    page_format.init_app(state.app)
    state.app.config.setdefault("RQ_DASHBOARD_MOUNTED", False)
    if rq_dashboard_enabled(state.app):
        mount_rq_dashboard(state.app)
        state.app.config["RQ_DASHBOARD_MOUNTED"] = True


@bp.get("/")
def form() -> ResponseReturnValue:
    """The run form (prefilled from ``?from=<run_id>`` when that run exists and the viewer
    may read it)."""
    initial = None
    source = request.args.get("from", "")
    if is_run_id(source):
        row = readable_row(get_session(), BacktestRun, source, get_run_header)
        if row is not None and may_read(row):
            initial = json_or_none(row.request_json)
            initial.pop("run_id", None)
    return render_template(
        "dashboard/form.html",
        tickers=tickers(),
        rules=[*describe_rules(), describe_python()],
        trading_fields=[f.to_dict() for f in TRADING_FIELDS],
        number_fields=NUMBER_FIELDS,
        entry_order=ENTRY_ORDER,
        size_expr=SIZE_EXPR,
        flags=RUN_FLAGS,
        initial=initial,
        preset_viewer=preset_viewer(),
        **nav(),
    )


def _page_number() -> int:
    """The ``page`` query parameter; a page that is no page number shows the first."""
    try:
        return count("page", 1, 1, 10**9 - 1)
    except ApiError:
        return 1


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
def history() -> ResponseReturnValue:
    """The runs the viewer may see, paginated, filtered by status, ticker, rule, tag and name
    and sorted by a column or a metric (newest first by default)."""
    error = None
    try:
        filters = run_filter(request.args)
    except RequestError as exc:
        error = f"{exc.field}: {exc.message}"
        filters = RunFilter()
    try:
        sort = run_sort(request.args)
    except RequestError as exc:
        error = f"{exc.field}: {exc.message}"
        sort = RunSort()
    page = _page_number()
    runs, total = viewer_page(*LISTING, filters=filters, sort=sort, page=page, per_page=PER_PAGE)
    pages = max(math.ceil(total / PER_PAGE), 1)
    return render_template(
        "dashboard/runs.html",
        runs=runs,
        filters=filters,
        error=error,
        page=page,
        pages=pages,
        page_links=_page_links(min(page, pages), pages),
        total=total,
        statuses=ALL_STATUSES,
        sort=sort,
        sort_keys=[(key, _sort_label(key)) for key in sort_keys()],
        tickers=tickers(),
        compare_max=COMPARE_MAX,
        rule_types=list(RULES),
        history_metrics=page_format.HISTORY_METRICS,
        history_metrics_data=[
            {
                "key": m.key,
                "digits": m.digits,
                "unit": m.unit,
                "signed": m.key in page_format.SIGNED_KEYS,
            }
            for m in page_format.HISTORY_METRICS
        ],
        **nav(),
    )


def _sort_label(key: str) -> str:
    """How the sort menu names a key: a metric by its label, a column by its name."""
    return next((m.label for m in all_metrics() if m.key == key), key.replace("_", " "))


@bp.get("/runs/<run_id>")
def run_page(run_id: str) -> ResponseReturnValue:
    """One run: KPIs, charts, trades, provenance; a waiting run refreshes itself."""
    session = get_session()
    row = readable_row(session, BacktestRun, run_id, get_run_header) if is_run_id(run_id) else None
    if row is None or not may_read(row):
        return not_found_page("run", run_id)
    shown = source_shown(row, readable_keys(session, BacktestRun, cache_sources([row])))
    metrics = json_or_none(row.metrics_json) or {}
    run_request = json_or_none(row.request_json) or {}
    return render_template(
        "dashboard/run.html",
        run=row,
        run_request=run_request,
        request_text=json.dumps(run_request, indent=2),
        metrics=metrics,
        kpis=all_metrics(),
        key_figures=[metric_def(key) for key in page_format.KEY_FIGURES],
        created_iso=iso_utc(row.created_at),
        now_iso=iso_utc(utcnow()),
        queued_for=page_format.duration(row.created_at, row.started_at),
        ran_for=page_format.duration(row.started_at, row.completed_at),
        finished=row.status in FINISHED,
        labels=run_labels(row),
        warnings=run_warnings(metrics),
        can_manage=may_manage(row),
        cache_source=row.cached_from if shown else None,
        **nav(),
    )


@bp.get("/compare")
def compare() -> ResponseReturnValue:
    """Finished runs side by side: their setups (differences marked), a metrics table and
    their equity curves on one chart."""
    try:
        ids = run_ids(request.args, COMPARE_MAX)
    except RequestError as exc:
        return error_page(400, "cannot compare", f"{exc.field}: {exc.message}")
    rows = readable(get_run_summaries(get_session(), ids))
    found = {row.run_id for row in rows}
    runs = [
        {
            "row": row,
            "label": run_label(row),
            "metrics": json_or_none(row.metrics_json) or {},
            "request": json_or_none(row.request_json) or {},
        }
        for row in rows
    ]
    table = []
    for metric in all_metrics():
        values = [run["metrics"].get(metric.key) for run in runs]
        table.append(
            {
                "metric": metric,
                "values": values,
                "best": page_format.best_index(values, metric.better),
            }
        )
    return render_template(
        "dashboard/compare.html",
        runs=runs,
        setup=setup_rows([run["request"] for run in runs]),
        table=table,
        missing=[run_id for run_id in ids if run_id not in found],
        ids=",".join(run["row"].run_id for run in runs),
        **nav(),
    )
