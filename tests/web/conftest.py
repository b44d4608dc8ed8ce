"""Fixtures of the web tests: the app on a temporary SQLite database and the test Redis, its
test client, a data directory and a Redis client. A module that needs another app (MariaDB,
a bare Flask app) overrides ``app`` in the module itself.

The app is built once per test module (``module_app``: ``create_app`` compiles every route,
about 0.04 CPU-s, which was most of a small test's cost when each test built its own) and
handed to each test as new by ``app``: every table emptied, the configuration as built, the
test's own data directory, and the test Redis database emptied (``redis_url``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis

from tests.servers import given_redis_url
from tests.web.support import app_with_schema, as_new, serve, write_data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A small data directory: the demo tickers' CSVs and their catalog."""
    return write_data_dir(tmp_path / "data")


@pytest.fixture(scope="module")
def app_settings() -> dict[str, Any]:
    """Settings of ``module_app`` besides the tests' own (``build_app``): none here; a module
    whose app needs others (AUTH_MODE=token, rq-dashboard mounted) overrides this."""
    return {}


@pytest.fixture(scope="module")
def module_app(
    tmp_path_factory: pytest.TempPathFactory, app_settings: dict[str, Any]
) -> Iterator[Flask]:
    """The platform's app with its schema and ``app_settings``, on a SQLite file of the
    module's own and the test Redis, shared by the module's tests through ``app``."""
    folder = tmp_path_factory.mktemp("module-app")
    database_url = f"sqlite:///{folder / 'db.sqlite3'}"
    yield from serve(app_with_schema(database_url, given_redis_url(), folder, **app_settings))


@pytest.fixture
def app(module_app: Flask, redis_url: str, data_dir: Path) -> Iterator[Flask]:
    """The platform's app with its schema, on SQLite and the test Redis: ``module_app``
    with no rows in its tables, reading ``data_dir``; what the test changes in its
    configuration is undone after it."""
    assert module_app.config["REDIS_URL"] == redis_url  # the database redis_url empties
    with as_new(module_app, data_dir) as app:
        yield app


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
