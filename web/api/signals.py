"""The signal analyzer: ``POST /api/analyze_signals``, answered synchronously.

A rule on a ticker and window (a run request's fields without the trading ones, plus
``horizons``) → its signal counts, gaps, warm-up, forward returns against a random-entry
baseline and the validator's warnings (``kinds.runs.signal_report``; definitions in
docs/rules.md). It touches no database or queue and refuses a rule whose signals would cost
more than SIGNAL_MAX_WORK / SIGNAL_MAX_VALUES before computing them
(``kinds.runs.signal_cost``); it is behind the same access control as every route and
counts against SUBMIT_RATE_LIMIT like a submission (``web.ratelimit``).
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from config.process import combination_max_bars
from kinds.runs.contract import RequestError
from kinds.runs.signal_cost import cost_limits
from kinds.runs.signal_report import report_for
from web.body import json_object
from web.errors import bad_request

bp = Blueprint("signals", __name__, url_prefix="/api")


@bp.post("/analyze_signals")
def analyze() -> ResponseReturnValue:
    """Analyse a rule's signals on a ticker and window; 400 naming the field at fault."""
    config = current_app.config
    try:
        report = report_for(
            json_object(),
            config["DATA_DIR"],
            combination_max_bars(config["RUN_MAX_BARS"]),
            cost_limits(config),
        )
    except RequestError as exc:
        raise bad_request(exc) from None
    return report.body
