"""Probes: ``GET /health`` (liveness: the process answers, touches nothing) and ``GET /ready``
(readiness: the database answers and its schema is not behind the code; Redis is reported,
never required).

Readiness follows the source of truth. MySQL holds every run, and the run pages and ``/status``
read MySQL, so a pod whose database answers can serve; Redis is only the queue, and a
Redis blip must not take every web pod out of the Service at once: ``/ready`` stays 200 and
reports it (``"status": "degraded"``), while a submission answers 503 on its own
(``web.api.runs``). The check has its own client with short timeouts, so even a Redis that
hangs cannot make the probe time out.

The schema check keeps a release's new pods out of the Service until its migration (the
db-init Job) has run: while the database's revision is older than the head of
``store/migrations``, or absent, ``/ready`` is 503 ``"schema": "behind"``. A revision the
code does not know is a newer release's (after a rollback); migrations only add, so that is
ready (``"ahead"``). Once the schema is current or ahead, the answer is kept for the life of
the app: from then on a probe costs one ``SELECT 1``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.db import get_engine

logger = logging.getLogger("web.health")

bp = Blueprint("health", __name__)

OK = "ok"
UNAVAILABLE = "unavailable"
UNKNOWN = "unknown"

SCHEMA_EXTENSION = "web.health.schema"
"""Key in ``app.extensions`` of the schema state once it allows serving (current or ahead)."""

REDIS_EXTENSION = "web.health.redis"
"""Key in ``app.extensions`` of the probe's own Redis client."""

REDIS_PROBE_SECONDS = 1.0
"""How long the Redis check may wait to connect, and then for PONG: well inside the
readiness probe's 3 s, so a Redis that hangs is reported instead of timing the probe out
(the queue's own client waits up to 10 s for an answer)."""


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Liveness: 200 while the process can answer at all."""
    return {"status": "ok"}


def _database_and_schema() -> tuple[str, str, bool]:
    """(database state, schema state, whether they allow serving): ``SELECT 1``, then the
    schema's revision until it allowed serving once."""
    from store.migrate import SchemaState, schema_state  # Alembic loads on the first probe

    extensions = current_app.extensions
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
            known = extensions.get(SCHEMA_EXTENSION)
            if known is not None:
                return OK, known, True
            state = schema_state(connection)
    except SQLAlchemyError as exc:
        logger.warning("ready: database unavailable: %s", exc.__class__.__name__)
        return UNAVAILABLE, UNKNOWN, False
    if state is SchemaState.BEHIND:
        logger.warning("ready: the database schema is behind the code; waiting for its migration")
        return OK, state.value, False
    extensions[SCHEMA_EXTENSION] = state.value
    return OK, state.value, True


def _probe_redis() -> Redis:
    """The app's Redis client for probes, made on first use, with REDIS_PROBE_SECONDS
    timeouts."""
    client = current_app.extensions.get(REDIS_EXTENSION)
    if client is None:
        client = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_PROBE_SECONDS,
            socket_timeout=REDIS_PROBE_SECONDS,
        )
        current_app.extensions[REDIS_EXTENSION] = client
    return client


def _redis_state() -> str:
    try:
        _probe_redis().ping()
    except RedisError as exc:
        logger.warning("ready: redis unavailable (reported only): %s", exc.__class__.__name__)
        return UNAVAILABLE
    return OK


@bp.get("/ready")
def ready() -> ResponseReturnValue:
    """Readiness: 200 when the database answers and its schema is current (or ahead),
    reporting Redis; else 503 naming what is not."""
    database, schema, serving = _database_and_schema()
    states = {"database": database, "schema": schema, "redis": _redis_state()}
    if not serving:
        return {"status": "not ready", **states}, 503
    return {"status": "ready" if states["redis"] == OK else "degraded", **states}
