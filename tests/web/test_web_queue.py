"""Tests for web/queue.py: each app's Redis client and RQ queue follow its config."""

from __future__ import annotations

import pytest
from rq.serializers import JSONSerializer

from web import create_app
from web.db import get_engine
from web.queue import get_run_queue

pytestmark = pytest.mark.redis


def test_queue_uses_redis_url_and_rq_queue(sqlite_url, redis_url):
    """The queue is RQ_QUEUE on REDIS_URL, with the JSON serializer (never pickle)."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url, "RQ_QUEUE": "q1"}
    )
    run_queue = get_run_queue(app)
    try:
        assert run_queue.queue.connection is run_queue.redis
        assert run_queue.queue.name == "q1"
        assert run_queue.queue.serializer is JSONSerializer
        assert run_queue.redis.ping() is True
    finally:
        get_engine(app).dispose()
        run_queue.redis.close()


def test_app_starts_while_redis_is_down(sqlite_url):
    """The client connects lazily: building the app needs no Redis."""
    app = create_app(
        {"TESTING": True, "DATABASE_URL": sqlite_url, "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    try:
        assert app.test_client().get("/health").status_code == 200
    finally:
        get_engine(app).dispose()
        get_run_queue(app).redis.close()
