"""The JSON and file endpoints the dashboard's scripts read (and anyone may): ``GET
/api/runs/lookup?ids=a,b`` (history summaries of up to 200 runs by id, for polling), ``GET
/api/queue`` (``web.api.queue_snapshot``: the runs' queue, and the sweep chunks' under
``sweeps``), ``GET /compare/curves.json?ids=a,b`` (equity curves
of the compared runs), and a run's exports as attachments: ``GET /runs/<id>/result.json``
(the stored result, verbatim) and ``GET /runs/<id>/trades.csv`` (``adapters.trades_csv``).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

import adapters
from kinds.runs.store import get_result_text, get_run_summaries
from store.models import utcnow
from web.api.queue_snapshot import queue_snapshot
from web.db import get_session
from web.errors import ApiError
from web.present import iso_utc, run_label, run_summary
from web.query import COMPARE_MAX, is_run_id, run_ids
from web.queue import get_run_queue
from work.status import RunStatus

bp = Blueprint("run_data", __name__)

LOOKUP_MAX = 200
"""Most run ids one ``/api/runs/lookup`` answers."""


def stored_result(run_id: str) -> str:
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
def result_json(run_id: str) -> ResponseReturnValue:
    """The run's full stored result as a JSON download."""
    return _attachment(stored_result(run_id), "application/json", f"run-{run_id}.json")


@bp.get("/runs/<run_id>/trades.csv")
def trades_csv(run_id: str) -> ResponseReturnValue:
    """The run's trades as a CSV download (header: ``adapters.TRADE_FIELDS``)."""
    trades = json.loads(stored_result(run_id)).get("trades") or []
    return _attachment(adapters.trades_csv(trades), "text/csv", f"trades-{run_id}.csv")


@bp.get("/api/runs/lookup")
def lookup() -> ResponseReturnValue:
    """History summaries (status, metrics; no result) of the runs named by ``ids``."""
    ids = run_ids(LOOKUP_MAX)
    rows = get_run_summaries(get_session(), ids)
    found = {row.run_id for row in rows}
    return {
        "runs": [run_summary(row) for row in rows],
        "missing": [run_id for run_id in ids if run_id not in found],
    }


@bp.get("/api/queue")
def queue_panel() -> ResponseReturnValue:
    """Queued / running / failed counts and the consumers running now (RQ's registries) of
    the shared queue, and the same of each kind's own queue under its name (``sweeps``)."""
    queues = get_run_queue()
    return {
        **queue_snapshot(queues.queue),
        **{own: queue_snapshot(queue) for own, queue in queues.own.items()},
        "checked_at": iso_utc(utcnow()),
    }


@bp.get("/compare/curves.json")
def compare_curves() -> ResponseReturnValue:
    """Equity curves of the SUCCEEDED runs among ``ids``: ``{"runs": [{"run_id", "label",
    "initial_capital", "timestamps", "equity"}]}``, in the order given."""
    curves = []
    for row in get_run_summaries(get_session(), run_ids(COMPARE_MAX)):
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
