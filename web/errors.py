"""JSON errors for every route: ``ApiError`` for expected failures, and handlers that turn
HTTP errors, an unreachable database and any unexpected exception into JSON. (A browser
asking for a page that does not exist gets the dashboard's HTML 404 instead:
``web.pages.layout.serve_missing_pages`` answers it and hands every other 404 and 405 back
to ``http_error``.)

Shapes: ``{"error": message}``, plus ``"field"`` when one input is to blame, plus
``"run_id"`` when the failure concerns a known run. An unexpected exception is answered
500 ``{"error": "internal error"}``; its stack trace goes to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

from work.errors import RequestError
from work.logs import run_context

logger = logging.getLogger("web.errors")

DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeoutError)
"""SQLAlchemy errors meaning the database cannot be reached (answered 503)."""

_HTTP_MESSAGES = {
    404: "not found",
    405: "method not allowed",
}


class ApiError(Exception):
    """An expected failure answered as JSON: ``{"error": message, "field"?: ..., **extra}``."""

    def __init__(
        self,
        code: int,
        message: str,
        /,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """The response body."""
        body: dict[str, Any] = {"error": self.message}
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body


def bad_request(exc: RequestError) -> ApiError:
    """The 400 for an input the request contract refused: its message, naming its field."""
    return ApiError(400, exc.message, field=exc.field)


def json_error(status: int, message: str, **fields: Any) -> Response:
    """A JSON error response ``{"error": message, **fields}`` with ``status``."""
    response = jsonify({"error": message, **fields})
    response.status_code = status
    return response


def remember_run_id(run_id: str) -> None:
    """Note the run this request is about, so an error answer and its log can name it."""
    g.run_id = run_id


def forget_run_id() -> None:
    """The run was never recorded: error answers must not hand out its id."""
    g.pop("run_id", None)


def _run_id_field() -> dict[str, str]:
    """``{"run_id": ...}`` when the request noted its run, else nothing."""
    run_id = g.get("run_id")
    return {"run_id": run_id} if run_id else {}


def _api_error(error: ApiError) -> Response:
    response = jsonify(error.to_dict())
    response.status_code = error.code
    response.headers.update(error.headers)
    return response


def _size(count: int) -> str:
    """1048576 -> "1 MiB", 2048 -> "2 KiB", 10 -> "10 bytes"."""
    for unit, scale in (("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def http_error(error: HTTPException) -> Response:
    """The JSON answer to an HTTP error: ``{"error": message}`` with its code and headers
    (a 405 keeps ``Allow``)."""
    code = error.code or 500
    message = _HTTP_MESSAGES.get(code) or (error.name or "error").lower()
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if code == 413 and limit:
        message = f"request body too large (the limit is {_size(limit)})"
    response = json_error(code, message)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _database_error(error: Exception) -> Response:
    with run_context(g.get("run_id") or "-"):
        logger.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
    return json_error(503, "database unavailable", **_run_id_field())


def _queue_error(error: RedisError) -> Response:
    with run_context(g.get("run_id") or "-"):
        logger.error("queue unavailable: %s", error.__class__.__name__, exc_info=error)
    return json_error(503, "queue unavailable", **_run_id_field())


def _unexpected_error(error: Exception) -> Response:
    with run_context(g.get("run_id") or "-"):
        logger.exception("internal error", exc_info=error)
    return json_error(500, "internal error", **_run_id_field())


def init_app(app: Flask) -> None:
    """Register the JSON error handlers on ``app``."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, http_error)
    for error_class in DATABASE_ERRORS:
        app.register_error_handler(error_class, _database_error)
    app.register_error_handler(RedisError, _queue_error)
    app.register_error_handler(Exception, _unexpected_error)
