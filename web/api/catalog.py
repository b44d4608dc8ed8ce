"""What can be run: ``GET /api/rules`` (the rule registry), ``GET /api/tickers`` (the
data catalog) and ``GET /api/tickers/events?ticker=T`` (a ticker's corporate actions). The
dashboard form and the bulk-submission script are built from these; the run page's candles
mark the events."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from data import DataQualityError, UnknownTickerError, load_events
from rules import describe_rules
from web.errors import ApiError
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


@bp.get("/tickers/events")
def ticker_events() -> ResponseReturnValue:
    """The splits, dividends and delisting of the events file of the ticker the query's
    ``ticker`` names, in date order (an empty list when it has none): ``{"ticker",
    "events": [{"date", "type", "value"}]}``, ``value`` the split ratio, the dividend or
    the delisting's cash per share (null: its last close). Catalog data, like
    ``/api/tickers``: no item of anyone's. No ticker is a 400 naming it, an unknown one a
    404, a file that fails its checks a 400 naming its line."""
    ticker = request.args.get("ticker", "").strip()
    if not ticker:
        raise ApiError(400, "is required (a ticker of GET /api/tickers)", field="ticker")
    try:
        events = load_events(ticker, current_app.config["DATA_DIR"])
    except UnknownTickerError as exc:
        raise ApiError(404, str(exc), field="ticker") from None
    except DataQualityError as exc:
        raise ApiError(
            400, f"the events file of {ticker} is invalid: {exc}", field="ticker"
        ) from None
    listed = [{"date": e.day.isoformat(), "type": e.type, "value": e.value} for e in events]
    return jsonify({"ticker": ticker, "events": listed})
