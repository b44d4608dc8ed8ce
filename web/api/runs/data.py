"""The JSON and file endpoints the dashboard's scripts read (and anyone may): ``GET
/api/runs/lookup?ids=a,b`` (history summaries of up to 200 runs by id, for polling), ``GET
/api/runs/compare/curves.json?ids=a,b`` (equity curves of the compared runs; also ``GET
/compare/curves.json``), and a run's exports as attachments: ``GET
/api/runs/<id>/result.json`` (the stored result, verbatim; also ``GET /runs/<id>/result.json``)
and ``GET /api/runs/<id>/trades.csv`` (``adapters.trades_csv``; also ``GET
/runs/<id>/trades.csv``), and ``GET /api/runs/<id>/charts/<name>.png`` (one PNG chart drawn
on demand from the stored curves, ``adapters.render_stored_chart``).
"""

from __future__ import annotations

import json

from flask import Response, current_app
from flask.typing import ResponseReturnValue

import adapters
from kinds.runs.contract import RequestError, RunRequest
from kinds.runs.indicators import DataChangedError, run_overlays
from kinds.runs.query import COMPARE_MAX, run_ids
from kinds.runs.store import get_result_text, get_run_summaries
from kinds.runs.view import cache_sources, run_label, run_summaries
from rules import RuleValidationError, validate_rule
from store.models import BacktestRun
from web.api.runs.access import check_run_read, run_not_found
from web.api.runs.blueprint import bp, legacy_route
from web.db import get_session
from web.errors import ApiError
from web.ownership import readable, readable_keys
from web.query import parsed
from work.status import RunStatus

LOOKUP_MAX = 200
"""Most run ids one ``/api/runs/lookup`` answers."""


def stored_result(run_id: str) -> str:
    """The stored result JSON text of a SUCCEEDED run.

    :raise ApiError 404: no such run (or not the viewer's to read); 409: the run has no
        result (not SUCCEEDED).
    """
    check_run_read(get_session(), run_id)
    found = get_result_text(get_session(), run_id)
    if found is None:
        raise run_not_found()
    status, text = found
    if status != RunStatus.SUCCEEDED or not text:
        raise ApiError(409, f"the run has no result (it is {status})", status=status)
    return text


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<run_id>/result.json")
@legacy_route("/runs/<run_id>/result.json", methods=["GET"])
def result_json(run_id: str) -> ResponseReturnValue:
    """The run's full stored result as a JSON download."""
    return _attachment(stored_result(run_id), "application/json", f"run-{run_id}.json")


@bp.get("/<run_id>/trades.csv")
@legacy_route("/runs/<run_id>/trades.csv", methods=["GET"])
def trades_csv(run_id: str) -> ResponseReturnValue:
    """The run's trades as a CSV download (header: ``adapters.TRADE_FIELDS``)."""
    trades = json.loads(stored_result(run_id)).get("trades") or []
    return _attachment(adapters.trades_csv(trades), "text/csv", f"trades-{run_id}.csv")


@bp.get("/<run_id>/charts/<name>.png")
def chart_png(run_id: str, name: str) -> ResponseReturnValue:
    """One of the run's PNG charts (``adapters.CHART_NAMES``) as a download, drawn in memory
    from the stored curves on each request (the candles with the rule's lines when the data
    file is still the run's), so a run submitted with ``charts: false`` has them too.

    :raise ApiError 404: no such run or no such chart; 409: the run has no result.
    """
    if name not in adapters.CHART_NAMES:
        raise ApiError(404, f"no chart {name[:40]!r}; charts: {', '.join(adapters.CHART_NAMES)}")
    result = json.loads(stored_result(run_id))
    overlays = _overlays(result) if name == "candles" else None
    try:
        png = adapters.render_stored_chart(name, result, overlays)
    except (KeyError, TypeError, ValueError, IndexError):
        raise ApiError(409, "the stored result lacks the curves of this chart") from None
    response = Response(png, mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{run_id}.png"'
    return response


def _overlays(result: dict) -> dict | None:
    """The rule's lines on the run's window, recomputed from its data file when that file
    is still the one the run read (``kinds.runs.indicators``), else None."""
    try:
        request = RunRequest.from_stored(result["request"])
        validate_rule(request.rule_type, request.params)
        return run_overlays(request, result.get("data_hash"), current_app.config["DATA_DIR"])
    except (RequestError, RuleValidationError, DataChangedError, KeyError, TypeError):
        return None


@bp.get("/lookup")
def lookup() -> ResponseReturnValue:
    """History summaries (status, metrics; no result) of the runs named by ``ids`` (a run the
    viewer may not read is ``missing``, as one that is not there)."""
    ids = parsed(lambda args: run_ids(args, LOOKUP_MAX))
    rows = readable(get_run_summaries(get_session(), ids))
    found = {row.run_id for row in rows}
    return {
        "runs": run_summaries(rows, readable_keys(get_session(), BacktestRun, cache_sources(rows))),
        "missing": [run_id for run_id in ids if run_id not in found],
    }


@bp.get("/compare/curves.json")
@legacy_route("/compare/curves.json", methods=["GET"])
def compare_curves() -> ResponseReturnValue:
    """Equity curves of the SUCCEEDED runs among ``ids``: ``{"runs": [{"run_id", "label",
    "initial_capital", "timestamps", "equity"}]}``, in the order given (the viewer's readable
    runs only)."""
    curves = []
    ids = parsed(lambda args: run_ids(args, COMPARE_MAX))
    for row in readable(get_run_summaries(get_session(), ids)):
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
                "label": run_label(row),
                "initial_capital": (result.get("request") or {}).get("initial_capital"),
                "timestamps": equity.get("timestamps", []),
                "equity": equity.get("equity", []),
            }
        )
    return {"runs": curves}
