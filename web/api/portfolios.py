"""Portfolio backtests: the JSON API (docs/portfolios.md, docs/api.md).

``POST /api/portfolios`` (202 ``{portfolio_id, status, status_url}``; a bad input is a 400
naming its field, a universe too large for a Job's memory a 400 naming ``tickers``),
``GET /api/portfolios`` (newest first, at most 100, without results; each with its name or a
readable default, ``label``, and its ``parameters``),
``GET /api/portfolios/<id>`` (status and, once SUCCEEDED, the result; ``?result=false``
leaves it out), ``GET /api/portfolios/<id>/report`` (the report-depth metrics of it and of
its benchmark), ``GET /api/portfolios/<id>/report.html`` (its report as one self-contained
HTML file), ``GET /api/portfolios/<id>/capacity`` (and ``.svg``: its capacity curve, as a
run's), ``PATCH /api/portfolios/<id>`` (``{"shared": bool}``). A portfolio the viewer
may not read is the 404 of a missing one; the list shows theirs and the shared ones
(``web.ownership``).

A thin HTTP layer: the request is ``kinds.portfolios.request_model``'s, the catalog and memory
check ``kinds.portfolios.universe``'s, the row ``kinds.portfolios.store``'s, and submission
the one path every kind takes (``web.submit``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from functools import cache
from typing import Any

import numpy as np
from flask import Blueprint, Response, current_app, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from adapters.capacity import capacity_svg
from adapters.drawdowns import worst_drawdowns
from engine import TRADING_DAYS
from kinds.portfolios.describe import default_label, parameters
from kinds.portfolios.kind import PORTFOLIO, PORTFOLIOS_SUBMITTED
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.store import (
    get_portfolio,
    insert_portfolio,
    list_portfolios,
    set_portfolio_shared,
)
from kinds.portfolios.universe import check_universe
from kinds.runs.fields import RUN_ID_PATTERN
from metrics import PORTFOLIO_LIST_METRIC_KEYS
from store.models import Portfolio
from web.api.runs.capacity import capacity_of
from web.api.tearsheet import (
    NOT_TRADES,
    export,
    metric_rows,
    report_definitions,
    report_metric_values,
    run_metric_keys,
)
from web.auth import current_user
from web.body import json_object
from web.db import get_session, image_tag
from web.errors import ApiError, bad_request, remember_run_id
from web.ownership import ItemLookup, set_sharing, visible
from web.present import iso_utc
from web.query import flag
from web.submit import Submission, submit_work
from web.telemetry import add_telemetry
from work.errors import RequestError
from work.logs import run_context
from work.status import RunStatus
from work.telemetry import field

logger = logging.getLogger("web.portfolios")

bp = Blueprint("portfolios", __name__, url_prefix="/api/portfolios")

_ID = re.compile(RUN_ID_PATTERN)


@cache
def json_schema() -> dict[str, Any]:
    """The portfolio request's JSON Schema (``GET /api/schema/portfolio``; built once)."""
    from kinds.portfolios.request_model import PortfolioRequestBody

    return PortfolioRequestBody.model_json_schema()


def check_request(payload: Any) -> dict[str, Any]:
    """A portfolio request checked against the contract, the catalog and the memory cap,
    normalised, with its id (given, or a new UUID4).

    :raise ApiError 400: naming the offending field.
    """
    config = current_app.config
    try:
        request = parse_portfolio(payload)
        check_universe(request, config["DATA_DIR"], config["PORTFOLIO_MAX_MEMORY_MB"])
    except RequestError as exc:
        raise bad_request(exc) from None
    request["portfolio_id"] = request["portfolio_id"] or str(uuid.uuid4())
    return request


@bp.post("")
def submit() -> ResponseReturnValue:
    """Validate a portfolio request, record it PENDING and enqueue it; 202 with its URL."""
    request = check_request(json_object())
    portfolio_id = request["portfolio_id"]
    remember_run_id(portfolio_id)
    with run_context(portfolio_id):

        def insert(session: Session, queue: str) -> None:
            insert_portfolio(
                session, request, queue, created_by=current_user(), image_tag=image_tag()
            )

        def fail(session: Session, error: str) -> int:
            return int(PORTFOLIO.mark_failed(session, portfolio_id, error))

        submit_work(PORTFOLIO, ("portfolio_id", portfolio_id), Submission(insert, [request], fail))
        add_telemetry({field(PORTFOLIOS_SUBMITTED): 1})
        logger.info(
            "accepted %d tickers, %s allocation, %s rebalancing, %s..%s",
            len(request["tickers"]),
            request["allocation"]["method"],
            request["rebalance"]["schedule"],
            request["start_date"],
            request["end_date"],
        )
    status_url = url_for("portfolios.status", portfolio_id=portfolio_id)
    body = {"portfolio_id": portfolio_id, "status": RunStatus.PENDING, "status_url": status_url}
    return body, 202, {"Location": status_url}


PORTFOLIOS = ItemLookup(Portfolio, get_portfolio, _ID, "portfolio")
"""A portfolio by the id in a URL."""


def summary(row: Portfolio) -> dict[str, Any]:
    """What the list shows of a portfolio (no request, no result): its name (``label``: the
    name, or a readable default saying what it does) and its parameters
    (``kinds.portfolios.describe``)."""
    request = json.loads(row.payload_json)
    return {
        "portfolio_id": row.portfolio_id,
        "name": row.name,
        "label": row.name or default_label(request),
        "parameters": parameters(request),
        "status": row.status,
        "tickers": row.tickers,
        "method": row.method,
        "created_at": iso_utc(row.created_at),
        "started_at": iso_utc(row.started_at),
        "completed_at": iso_utc(row.completed_at),
        "attempts": row.attempts,
        "error": row.error_message,
        **{key: getattr(row, key) for key in PORTFOLIO_LIST_METRIC_KEYS},
        "created_by": row.created_by,
        "shared": bool(row.shared),
        "url": f"/portfolios/{row.portfolio_id}",
        "status_url": url_for("portfolios.status", portfolio_id=row.portfolio_id),
    }


@bp.get("")
def list_all() -> ResponseReturnValue:
    """The newest 100 portfolios the viewer may see, without their results."""
    rows = list_portfolios(get_session(), visible=visible(Portfolio))
    return {"portfolios": [summary(row) for row in rows]}


@bp.get("/<portfolio_id>")
def status(portfolio_id: str) -> ResponseReturnValue:
    """A portfolio's status, request and (once SUCCEEDED, unless ``?result=false``) result."""
    row = PORTFOLIOS.one(portfolio_id)
    head = {
        **summary(row),
        "request": json.loads(row.payload_json),
        "data_hash": row.data_hash,
        "portfolio_engine_version": row.engine_version,
    }
    text = row.result_json if flag("result", default=True) else None
    if row.status != RunStatus.SUCCEEDED or not text:
        return head
    body = json.dumps(head, allow_nan=False)[:-1] + ',"result":' + text + "}"
    return Response(body, mimetype="application/json")


def _result(portfolio_id: str) -> dict[str, Any]:
    """The stored result of a SUCCEEDED portfolio the viewer may read.

    :raise ApiError 404: none (or not theirs); 409: it has no result yet.
    """
    row = PORTFOLIOS.one(portfolio_id)
    if row.status != RunStatus.SUCCEEDED or not row.result_json:
        raise ApiError(409, f"the portfolio has no result (it is {row.status})", status=row.status)
    return json.loads(row.result_json)


def _report_metrics(result: dict[str, Any]) -> dict[str, Any]:
    stamps = np.array(result["timestamps"], dtype="datetime64[s]")
    per_year = TRADING_DAYS  # a portfolio's universe is daily tickers
    return {
        "portfolio": report_metric_values(stamps, result["equity"], per_year),
        "benchmark": report_metric_values(stamps, result["benchmark"]["equity"], per_year),
    }


@bp.get("/<portfolio_id>/report")
def report(portfolio_id: str) -> ResponseReturnValue:
    """The report-depth metrics of a SUCCEEDED portfolio and of its equal-weight benchmark
    (docs/portfolios.md)."""
    values = _report_metrics(_result(portfolio_id))
    return {
        "portfolio_id": portfolio_id,
        "report_metrics": values["portfolio"],
        "benchmark_report_metrics": values["benchmark"],
        "report_definitions": report_definitions(),
        "not_applicable": NOT_TRADES,
    }


@bp.get("/<portfolio_id>/report.html")
def report_html(portfolio_id: str) -> ResponseReturnValue:
    """The portfolio's report as one self-contained HTML file (docs/portfolios.md)."""
    result = _result(portfolio_id)
    values = _report_metrics(result)
    ours, theirs = result["metrics"], result["benchmark"]["metrics"]
    request = result["request"]
    groups = [
        {"title": "Metrics", "rows": metric_rows([ours, theirs], run_metric_keys(ours))},
        {
            "title": "Report metrics",
            "rows": metric_rows(
                [values["portfolio"], values["benchmark"]], list(values["portfolio"])
            ),
        },
    ]
    stamps = np.array(result["timestamps"], dtype="datetime64[s]")
    curves = {
        "timestamps": stamps,
        "labels": result["timestamps"],
        "equity": result["equity"],
        "benchmark": result["benchmark"]["equity"],
        "benchmark_label": result["benchmark"]["name"],
        "underwater_pct": result["drawdown_pct"],
    }
    equity = np.array([np.nan if v is None else v for v in result["equity"]], dtype=np.float64)
    drawdowns = [
        {
            **e,
            **{k: str(e[k]) if e[k] is not None else None for k in ("peak", "trough", "recovery")},
        }
        for e in worst_drawdowns(stamps, equity)
    ]
    tickers = result.get("tickers") or []
    subtitle = (
        f"{len(tickers)} tickers ({', '.join(tickers[:8])}{'…' * (len(tickers) > 8)}), "
        f"{result['timestamps'][0]} → {result['timestamps'][-1]}, capital "
        f"{request['initial_capital']:,}; portfolio {portfolio_id}"
    )
    return export(
        f"portfolio-report-{portfolio_id}.html",
        f"Portfolio {portfolio_id[:8]}",
        subtitle,
        ["Portfolio", "Benchmark"],
        groups,
        curves,
        drawdowns,
        NOT_TRADES,
    )


@bp.get("/<portfolio_id>/capacity")
def capacity(portfolio_id: str) -> ResponseReturnValue:
    """The capacity curve a portfolio's Job stored (its request asked for ``capacity``;
    docs/capacity.md): a run's document, 404 and 409 as ``_result`` and a 409 when it was
    not asked for."""
    return {"portfolio_id": portfolio_id, **capacity_of(_result(portfolio_id), "portfolio")}


@bp.get("/<portfolio_id>/capacity.svg")
def capacity_chart(portfolio_id: str) -> ResponseReturnValue:
    """The portfolio's capacity curve as the run's SVG chart, drawn from the stored table."""
    document = capacity_of(_result(portfolio_id), "portfolio")
    return Response(capacity_svg(document), mimetype="image/svg+xml")


@bp.patch("/<portfolio_id>")
def share(portfolio_id: str) -> ResponseReturnValue:
    """Share the portfolio read-only with every signed-in user, or stop (``{"shared":
    bool}``; its owner or an admin only)."""
    shared = set_sharing(portfolio_id, PORTFOLIOS.row, set_portfolio_shared, PORTFOLIOS.not_found)
    return {"portfolio_id": portfolio_id, "shared": shared}
