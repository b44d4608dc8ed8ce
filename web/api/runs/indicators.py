"""``GET /api/runs/<run_id>/indicators``: the rule's overlays and oscillator panels on a
finished run's window, recomputed from the run's stored request and its data file
(``kinds.runs.indicators``), for the candles tab of the run page."""

from __future__ import annotations

import json

from flask import current_app
from flask.typing import ResponseReturnValue

from kinds.runs.contract import RequestError, RunRequest
from kinds.runs.indicators import DataChangedError, run_indicators
from kinds.runs.python_request import is_python
from kinds.runs.query import is_run_id
from kinds.runs.store import get_run_header
from rules import RuleValidationError, validate_rule
from store.models import BacktestRun
from web.api.runs.access import run_not_found
from web.api.runs.blueprint import bp
from web.db import get_session
from web.errors import ApiError
from web.ownership import may_read, readable_row
from work.status import RunStatus


@bp.get("/<run_id>/indicators")
def indicators(run_id: str) -> ResponseReturnValue:
    """The run's ``timestamps``, ``overlays`` and ``panels`` (null in warm-ups).

    :raise ApiError 404: no such run; 409: the run is not SUCCEEDED, or its data file
        changed since it ran (its SHA-256 is not the run's ``data_hash``), or its rule or
        parameters are no longer valid, or it ran a Python strategy (whose indicators live in
        its own code, not in the rules).
    """
    row = None
    if is_run_id(run_id):
        row = readable_row(get_session(), BacktestRun, run_id, get_run_header)
    if row is None or not may_read(row):
        raise run_not_found()
    if row.status != RunStatus.SUCCEEDED:
        raise ApiError(409, f"the run has no result (it is {row.status})", status=row.status)
    try:
        request = RunRequest.from_stored(json.loads(row.request_json))
    except RequestError as exc:
        raise ApiError(409, f"the stored request cannot be read: {exc}") from None
    if is_python(request.rule_type):
        raise ApiError(409, "a Python strategy's run has no rule indicators to draw")
    try:  # the rules may have changed since the run was validated
        validate_rule(request.rule_type, request.params)
    except RuleValidationError as exc:
        raise ApiError(409, f"the run's rule no longer fits the rules: {exc.message}") from None
    try:
        body = run_indicators(request, row.data_hash, current_app.config["DATA_DIR"])
    except DataChangedError as exc:
        raise ApiError(409, str(exc)) from None
    return {"run_id": run_id, "rule_type": request.rule_type, **body}
