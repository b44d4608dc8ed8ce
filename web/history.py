"""Run history: ``GET /api/runs``, newest first, paginated and filtered.

Query parameters (an empty value means "no filter", as an HTML form sends it):
``page`` (>= 1, default 1), ``per_page`` (1..200, default 50), ``status`` (PENDING,
RUNNING, SUCCEEDED, FAILED), ``ticker`` (any case), ``rule`` (a rule type, any case).
An invalid value is a 400 naming the parameter. Pages never load result JSON.
"""

from __future__ import annotations

import math
import re

from flask import Blueprint, request

from data import UnknownTickerError, validate_ticker
from rules import RULES
from runs.store import RunFilter, list_runs
from web.db import get_session
from web.errors import ApiError
from web.present import run_summary
from work.status import ALL_STATUSES

bp = Blueprint("history", __name__, url_prefix="/api")

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200

_COUNT = re.compile(r"[0-9]{1,9}")
"""A page number or size as typed in a URL: plain ASCII digits, at most 9."""


def _count(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in [low, high]; 400 naming it otherwise."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if _COUNT.fullmatch(raw) is None or not low <= int(raw) <= high:
        bound = f"between {low} and {high}" if high < 10**9 else f"at least {low}"
        raise ApiError(400, f"must be an integer {bound}", field=name)
    return int(raw)


def _status() -> str | None:
    value = request.args.get("status", "").strip().upper()
    if value and value not in ALL_STATUSES:
        raise ApiError(400, f"must be one of: {', '.join(ALL_STATUSES)}", field="status")
    return value or None


def _ticker() -> str | None:
    value = request.args.get("ticker", "").strip().upper()
    if not value:
        return None
    try:
        return validate_ticker(value)
    except UnknownTickerError as exc:
        raise ApiError(400, exc.message, field="ticker") from None


def _rule() -> str | None:
    value = request.args.get("rule", "").strip().upper().replace("-", "_")
    if value and value not in RULES:
        raise ApiError(400, f"must be one of: {', '.join(RULES)}", field="rule")
    return value or None


def run_filter() -> RunFilter:
    """The history filters of the current request's query string (400 if invalid)."""
    return RunFilter(status=_status(), ticker=_ticker(), rule_type=_rule())


@bp.get("/runs")
def list_history():
    """One page of runs, newest first, with the total count and number of pages."""
    filters = run_filter()
    page = _count("page", 1, 1, 10**9 - 1)
    per_page = _count("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    rows, total = list_runs(get_session(), filters, page=page, per_page=per_page)
    return {
        "runs": [run_summary(row) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": math.ceil(total / per_page),
    }
