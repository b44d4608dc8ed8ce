"""What can be run: ``GET /api/rules`` (the rule registry), ``GET /api/tickers`` (the
data catalog) and ``GET /api/tickers/<ticker>/events`` (a ticker's corporate actions). The
dashboard form and the bulk-submission script are built from these; the run page's candles
mark the events."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
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


@bp.get("/tickers/<ticker>/events")
def ticker_events(ticker: str) -> ResponseReturnValue:
    """The splits, dividends and delisting of ``ticker``'s events file, in date order (an
    empty list when it has none): ``{"ticker", "events": [{"date", "type", "value"}]}``,
    ``value`` the split ratio, the dividend or the delisting's cash per share (null: its
    last close). An unknown ticker is a 404, a file that fails its checks a 400 naming
    its line."""
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
