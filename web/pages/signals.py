"""The Signals page: ``GET /signals`` shows the signal analyzer's answer for a rule on a
ticker and window — counts, gaps, warm-up, the forward-return table against the
random-entry baseline, and charts (price with entry/exit markers; mean forward return by
horizon, entries vs baseline).

The request comes from the query string (the run form's "Analyze signals" button: the
analyzer's fields, ``params`` as JSON text, ``horizons`` as "1,5,20") or from a run
(``?from=<run_id>``: that run's stored request). It is analysed here, server-side, by the
same ``kinds.runs.signal_report.report_for`` as ``POST /api/analyze_signals``; a refused field is
shown on the page (400) with the API's words.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from adapters.signal_analysis import signal_series
from config.process import combination_max_bars
from kinds.runs.contract import RequestError
from kinds.runs.query import is_run_id
from kinds.runs.signal_cost import cost_limits
from kinds.runs.signal_report import SIGNAL_FIELDS, report_for, signal_fields
from kinds.runs.store import get_run_header
from store.models import BacktestRun
from web.db import get_session
from web.ownership import may_read, readable_row
from web.pages.layout import nav, not_found_page, register_unavailable
from web.present import json_or_none

bp = Blueprint("signal_pages", __name__)
register_unavailable(bp)


def _horizons(text: str) -> list[Any]:
    """ "1, 5,20" → [1, 5, 20]; a part that is no whole number stays text (refused later)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return [int(part) if part.isdigit() else part for part in parts]


def query_payload(args: MultiDict) -> dict[str, Any]:
    """The analyzer request a query string describes (``params`` is JSON text).

    :raise RequestError: ``params`` that is not JSON.
    """
    payload: dict[str, Any] = {
        name: args[name] for name in SIGNAL_FIELDS if args.get(name, "").strip()
    }
    if "params" in payload:
        try:
            payload["params"] = json.loads(payload["params"])
        except ValueError:
            raise RequestError("params", "is not valid JSON") from None
    if "horizons" in payload:
        payload["horizons"] = _horizons(payload["horizons"])
    return payload


@bp.get("/signals")
def signals_page() -> ResponseReturnValue:
    """A rule's signals on a ticker and window (from the query string or ``?from=<run_id>``)."""
    source = request.args.get("from", "")
    run_id = None
    if source:
        row = None
        if is_run_id(source):
            row = readable_row(get_session(), BacktestRun, source, get_run_header)
        if row is None or not may_read(row):
            return not_found_page("run", source)
        run_id = row.run_id
    payload: dict[str, Any] = {}
    error = None
    try:
        payload = query_payload(request.args)
        if run_id is not None:
            payload = {**signal_fields(json_or_none(row.request_json) or {}), **payload}
        report = None
        if payload:
            config = current_app.config
            report = report_for(
                payload,
                config["DATA_DIR"],
                combination_max_bars(config["RUN_MAX_BARS"]),
                cost_limits(config),
            )
    except RequestError as exc:
        error, report = {"field": exc.field, "message": exc.message}, None
    page = render_template(
        "dashboard/signals.html",
        report=report.body if report else None,
        series=signal_series(report.bars, report.entries, report.exits) if report else None,
        payload=payload,
        error=error,
        run_id=run_id,
        **nav(),
    )
    return page, 400 if error else 200
