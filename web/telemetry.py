"""The web's side of the operator telemetry (``work.telemetry``): every HTTP request, and what
the API accepted, added to the Redis telemetry hash that ``GET /metrics`` exports
(``web.api.telemetry``).

Counting in Redis rather than in the process keeps the figures right with any number of
gunicorn workers and pods, and writes no local file. A request is counted after its response
has been sent (``response.call_on_close``), by its Flask URL rule (``/status/<path:run_id>``,
never the raw path, so the label set stays bounded; ``unmatched`` for a 404 without a rule),
on a client of its own with short timeouts: a Redis that hangs delays nobody's answer, and a
Redis that is away only loses the increment.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from flask import Flask, Response, current_app, g, request
from redis import Redis

from work.telemetry import HTTP_BUCKETS, HTTP_DURATION, HTTP_REQUESTS, field, observe, record

EXTENSION = "web.telemetry"
"""Key in ``app.extensions`` of the telemetry's own Redis client."""

TIMEOUT_SECONDS = 0.25
"""How long recording may wait for Redis to connect or answer."""

UNMATCHED = "unmatched"
"""The endpoint label of a request no URL rule matched."""


def telemetry_redis(app: Flask | None = None) -> Redis:
    """The app's Redis client for telemetry (made by ``init_app``)."""
    return (app or current_app).extensions[EXTENSION]


def add_telemetry(increments: Mapping[str, float]) -> bool:
    """Add ``increments`` to the telemetry hash (best effort; False if Redis refused)."""
    return record(telemetry_redis(), increments)


def _started() -> None:
    g.telemetry_started = time.perf_counter()


def _counted(response: Response) -> Response:
    started = g.pop("telemetry_started", None)
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    rule = request.url_rule
    endpoint = rule.rule if rule is not None else UNMATCHED
    method = request.method
    increments = {
        field(HTTP_REQUESTS, endpoint=endpoint, method=method, status=str(response.status_code)): 1
    }
    observe(increments, HTTP_DURATION, elapsed, HTTP_BUCKETS, endpoint=endpoint, method=method)
    client = telemetry_redis()
    response.call_on_close(lambda: record(client, increments))
    return response


def init_app(app: Flask) -> None:
    """Give ``app`` its telemetry client and count every request it answers."""
    app.extensions[EXTENSION] = Redis.from_url(
        app.config["REDIS_URL"],
        socket_connect_timeout=TIMEOUT_SECONDS,
        socket_timeout=TIMEOUT_SECONDS,
    )
    app.before_request(_started)
    app.after_request(_counted)
