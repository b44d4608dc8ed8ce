"""What can be run: ``GET /api/rules`` (the rule registry) and ``GET /api/tickers`` (the
data catalog). The dashboard form and the bulk-submission script are built from these."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from data import load_catalog
from rules import describe_rules

bp = Blueprint("catalog", __name__, url_prefix="/api")


@bp.get("/rules")
def list_rules() -> ResponseReturnValue:
    """Every rule type with its parameters (type, default, bounds) and constraints."""
    return jsonify(describe_rules())


@bp.get("/tickers")
def list_tickers() -> ResponseReturnValue:
    """Every ticker in the data catalog, sorted, with its name and whether it is synthetic."""
    catalog = load_catalog(current_app.config["DATA_DIR"])
    return jsonify(
        [
            {
                "ticker": info.ticker,
                "name": info.name,
                "synthetic": info.synthetic,
                "description": info.description,
            }
            for info in catalog.tickers()
        ]
    )
