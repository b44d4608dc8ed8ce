"""What can be run: ``GET /api/rules`` (the rule registry) and ``GET /api/tickers`` (the
data catalog). The dashboard form and the bulk-submission script are built from these."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from rules import describe_rules
from web.present import catalog_tickers

bp = Blueprint("catalog", __name__, url_prefix="/api")


@bp.get("/rules")
def list_rules() -> ResponseReturnValue:
    """Every rule type with its parameters (type, default, bounds) and constraints."""
    return jsonify(describe_rules())


@bp.get("/tickers")
def list_tickers() -> ResponseReturnValue:
    """Every ticker in the data catalog, sorted, with its name, whether it is synthetic and
    the dates of its first and last bar (``first_date``/``last_date``; null when its file
    cannot be read: a run on it is then refused naming the file's problem)."""
    return jsonify(catalog_tickers(current_app.config["DATA_DIR"]))
