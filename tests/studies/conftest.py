"""Fixtures of the study tests: the app on a fresh SQLite schema and the test Redis, its
sweep queue (where study batches wait) emptied first."""

from __future__ import annotations

import pytest
from redis import Redis

from tests.sweeps.support import SWEEP_QUEUE, sweep_app


@pytest.fixture
def app(sqlite_url, redis_url):
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}", "rq:queue:sweep-test")
    return sweep_app(sqlite_url, redis_url)


@pytest.fixture
def client(app):
    return app.test_client()
