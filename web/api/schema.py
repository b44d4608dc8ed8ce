"""JSON Schemas of the request bodies, generated from the pydantic models that validate them:
``GET /api/schema/run`` (a run request, rule params included), ``GET /api/schema/sweep``
(a sweep request: the run's fields, partial params, the grid, tickers and chunk size),
``GET /api/schema/portfolio`` and ``GET /api/schema/preset``; and the checks a submission
makes, without submitting: ``POST /api/schema/run/validate``, ``…/sweep/validate``,
``…/walkforward/validate``, ``…/portfolio/validate`` and ``…/study/validate`` answer 200
``{"valid": true}`` for a body ``POST /run_backtest`` (``POST /api/sweeps``,
``/api/walkforward``, ``/api/portfolios``, ``/api/studies``) would accept, else the very 400
it would answer (``{"error", "field"}``). Nothing is recorded or queued. The dashboard's
forms show these answers: their messages are the server's, never a copy kept in the page."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from kinds.studies.service import validate_study
from kinds.sweeps.contract import default_chunk_size
from web.api.portfolios import validate_portfolio
from web.api.runs.submit import validate_request
from web.api.sweeps import _validate as validate_sweep_request
from web.api.walkforward import _validate as validate_walkforward_request
from web.body import json_object
from web.errors import bad_request
from work.errors import RequestError

bp = Blueprint("schema", __name__, url_prefix="/api/schema")


@cache
def run_schema() -> dict[str, Any]:
    """The run request's JSON Schema (built once per process)."""
    from kinds.runs.request_model import json_schema

    return json_schema()


@cache
def sweep_schema(chunk_size: int) -> dict[str, Any]:
    """The sweep request's JSON Schema with the app's default chunk size (built once)."""
    from kinds.sweeps.request_model import sweep_json_schema

    return sweep_json_schema(chunk_size)


@cache
def preset_schema() -> dict[str, Any]:
    """The preset body's JSON Schema (built once per process)."""
    from web.api.presets import PresetBody

    return PresetBody.model_json_schema()


@bp.get("/run")
def run() -> ResponseReturnValue:
    """The JSON Schema of ``POST /run_backtest``'s body."""
    return jsonify(run_schema())


@bp.get("/sweep")
def sweep() -> ResponseReturnValue:
    """The JSON Schema of ``POST /api/sweeps``' body."""
    return jsonify(sweep_schema(default_chunk_size(current_app.config["SWEEP_CHUNK_SIZE"])))


@cache
def portfolio_schema() -> dict[str, Any]:
    """The portfolio request's JSON Schema (built once per process)."""
    from kinds.portfolios.request_model import PortfolioRequestBody

    return PortfolioRequestBody.model_json_schema()


@bp.get("/portfolio")
def portfolio() -> ResponseReturnValue:
    """The JSON Schema of ``POST /api/portfolios``' body."""
    return jsonify(portfolio_schema())


@bp.get("/preset")
def preset() -> ResponseReturnValue:
    """The JSON Schema of ``POST /api/strategies``' body."""
    return jsonify(preset_schema())


VALID = {"valid": True}
"""The answer of a validation route for a body the submission would accept."""


@bp.post("/run/validate")
def validate_run() -> ResponseReturnValue:
    """Check a run request as ``POST /run_backtest`` does (contract and data catalog):
    200 ``{"valid": true}``, or the 400 it would answer, naming the field."""
    validate_request(json_object())
    return VALID


@bp.post("/sweep/validate")
def validate_sweep() -> ResponseReturnValue:
    """Check a sweep request as ``POST /api/sweeps`` does before it looks for room on the
    queue: 200 ``{"valid": true}``, or the 400 it would answer, naming the field."""
    validate_sweep_request(json_object())
    return VALID


@bp.post("/walkforward/validate")
def validate_walkforward() -> ResponseReturnValue:
    """Check a walk-forward request as ``POST /api/walkforward`` does before it looks for
    room on the queue (windows, folds, the training grid, the ticker's data): 200
    ``{"valid": true}``, or the 400 it would answer, naming the field."""
    validate_walkforward_request(json_object())
    return VALID


@bp.post("/portfolio/validate")
def validate_portfolio_request() -> ResponseReturnValue:
    """Check a portfolio request as ``POST /api/portfolios`` does (the contract, every
    ticker in the catalog, the memory cap): 200 ``{"valid": true}``, or the 400 it would
    answer, naming the field."""
    validate_portfolio(json_object())
    return VALID


@bp.post("/study/validate")
def validate_study_request() -> ResponseReturnValue:
    """Check a study request as ``POST /api/studies`` does (the run's fields, the space, the
    objectives, the budgets, the ticker's data): 200 ``{"valid": true}``, or the 400 it
    would answer, naming the field."""
    config = current_app.config
    try:
        validate_study(json_object(), config["DATA_DIR"], config["RUN_MAX_BARS"])
    except RequestError as exc:
        raise bad_request(exc) from None
    return VALID
