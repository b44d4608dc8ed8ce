"""Fixtures of the web tests: the app on a temporary SQLite database and the test Redis, its
test client, a data directory and a Redis client. A module that needs another app (MariaDB,
a bare Flask app) overrides ``app`` in the module itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis

from tests.web.support import app_with_schema, serve, write_data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A small data directory: the demo tickers' CSVs and their catalog."""
    return write_data_dir(tmp_path / "data")


@pytest.fixture
def app(sqlite_url: str, redis_url: str, data_dir: Path) -> Iterator[Flask]:
    """The platform's app with its schema, on SQLite and the test Redis."""
    yield from serve(app_with_schema(sqlite_url, redis_url, data_dir))


@pytest.fixture
def client(app: Flask):
    """Flask's test client for ``app``."""
    return app.test_client()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    """A client of the test Redis (flushed around each test by ``redis_url``)."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()
