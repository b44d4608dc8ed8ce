"""Probes: ``GET /health`` (liveness: the process answers, touches nothing) and
``GET /ready`` (readiness: the database answers ``SELECT 1`` and Redis answers ``PING``)."""

from __future__ import annotations

import logging

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from web.db import get_engine
from web.queue import get_run_queue

logger = logging.getLogger("web.health")

bp = Blueprint("health", __name__)

OK = "ok"
UNAVAILABLE = "unavailable"


@bp.get("/health")
def health():
    """Liveness: 200 while the process can answer at all."""
    return {"status": "ok"}


def _database_state() -> str:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        logger.warning("ready: database unavailable: %s", exc.__class__.__name__)
        return UNAVAILABLE
    return OK


def _redis_state() -> str:
    try:
        get_run_queue().redis.ping()
    except RedisError as exc:
        logger.warning("ready: redis unavailable: %s", exc.__class__.__name__)
        return UNAVAILABLE
    return OK


@bp.get("/ready")
def ready():
    """Readiness: 200 when the database and Redis both answer, else 503 naming which not."""
    states = {"database": _database_state(), "redis": _redis_state()}
    if all(state == OK for state in states.values()):
        return {"status": "ready", **states}
    return {"status": "not ready", **states}, 503
