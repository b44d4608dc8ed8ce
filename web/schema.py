"""JSON Schemas of the request bodies, generated from the pydantic models that validate them:
``GET /api/schema/run`` (a run request, rule params included) and ``GET
/api/schema/preset``. The dashboard form validates from the run schema."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, jsonify

bp = Blueprint("schema", __name__, url_prefix="/api/schema")


@cache
def run_schema() -> dict[str, Any]:
    """The run request's JSON Schema (built once per process)."""
    from runs.request_model import json_schema

    return json_schema()


@cache
def preset_schema() -> dict[str, Any]:
    """The preset body's JSON Schema (built once per process)."""
    from web.presets import PresetBody

    return PresetBody.model_json_schema()


@bp.get("/run")
def run():
    """The JSON Schema of ``POST /run_backtest``'s body."""
    return jsonify(run_schema())


@bp.get("/preset")
def preset():
    """The JSON Schema of ``POST /api/strategies``' body."""
    return jsonify(preset_schema())
