"""Tests for web/api/health.py: /health touches nothing; /ready follows the database and its
schema (on SQLite and on MariaDB), reports Redis without failing on it, and checks the schema
revision only until it is current."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, text

from store.migrate import BASELINE, alembic_config, upgrade
from tests.web.support import (
    CLOSED_MYSQL,
    CLOSED_REDIS,
    build_app,
    close_app,
    valid_request,
    write_data_dir,
)
from web.api.health import REDIS_EXTENSION, REDIS_PROBE_SECONDS
from web.db import get_engine

pytestmark = pytest.mark.redis


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of this test's own: a SQLite file, or a database on MariaDB."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("empty_mysql_url")


def close(app: Flask) -> None:
    """Close the app's pools and clients, the probe's Redis client included."""
    probe = app.extensions.get(REDIS_EXTENSION)
    if probe is not None:
        probe.close()
    close_app(app)


@contextmanager
def running(database_url: str, redis_url: str, data_dir: Path) -> Iterator[Flask]:
    """An app on these services, closed at the end of the block."""
    app = build_app(database_url, redis_url, data_dir)
    try:
        yield app
    finally:
        close(app)


def migrate(app: Flask, revision: str = "head") -> None:
    """Apply the migrations to ``app``'s database up to ``revision``, as db-init does."""
    if revision == "head":
        upgrade(get_engine(app))
        return
    from alembic import command

    with get_engine(app).begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def get(database_url: str, redis_url: str, data_dir: Path, path: str):
    """One GET on a fresh app."""
    with running(database_url, redis_url, data_dir) as app:
        return app.test_client().get(path)


def ready_when_migrated(database_url: str, redis_url: str, data_dir: Path):
    """/ready on a fresh app whose database is migrated to the code's head."""
    with running(database_url, redis_url, data_dir) as app:
        migrate(app)
        return app.test_client().get("/ready")


def test_health_is_ok_even_with_every_dependency_down(tmp_path: Path) -> None:
    """Liveness does not touch the database or Redis."""
    response = get(CLOSED_MYSQL, CLOSED_REDIS, tmp_path, "/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_is_200_when_the_schema_is_current_and_redis_answers(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """A migrated database and a live Redis: ready, everything ok."""
    response = ready_when_migrated(database_url, redis_url, tmp_path)
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "database": "ok",
        "schema": "current",
        "redis": "ok",
    }


def test_ready_is_503_while_the_schema_is_behind_the_code(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """No migration history, then an older revision: 503 "behind"; after the upgrade, 200."""
    with running(database_url, redis_url, tmp_path) as app:
        client = app.test_client()
        empty = client.get("/ready")
        assert empty.status_code == 503
        assert empty.get_json() == {
            "status": "not ready",
            "database": "ok",
            "schema": "behind",
            "redis": "ok",
        }
        migrate(app, BASELINE)
        older = client.get("/ready")
        assert older.status_code == 503
        assert older.get_json()["schema"] == "behind"
        migrate(app)
        assert client.get("/ready").status_code == 200


def test_ready_serves_a_schema_ahead_of_the_code(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """A revision this code does not know (a newer release's, after a rollback) is ready:
    migrations only add, so the older code runs on it."""
    with running(database_url, redis_url, tmp_path) as app:
        migrate(app)
        with get_engine(app).begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        response = app.test_client().get("/ready")
        assert response.status_code == 200
        assert response.get_json()["schema"] == "ahead"


def test_once_current_a_probe_only_selects_1(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    """The schema answer is kept: later probes run one statement, even if the revision row
    changed meanwhile."""
    with running(database_url, redis_url, tmp_path) as app:
        migrate(app)
        client = app.test_client()
        assert client.get("/ready").status_code == 200
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        engine = get_engine(app)
        event.listen(engine, "before_cursor_execute", record)
        try:
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM alembic_version"))
            statements.clear()
            for _ in range(3):
                response = client.get("/ready")
                assert response.status_code == 200
                assert response.get_json()["schema"] == "current"
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert statements == ["SELECT 1"] * 3


def test_ready_stays_200_reporting_redis_degraded_when_redis_is_down(
    database_url: str, tmp_path: Path
) -> None:
    """Redis is not the source of truth: its outage is reported, the pod keeps serving."""
    response = ready_when_migrated(database_url, CLOSED_REDIS, tmp_path)
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "schema": "current",
        "redis": "unavailable",
    }


def test_a_hanging_redis_is_reported_within_the_probe_timeout(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A Redis that accepts connections but never answers costs the probe about
    REDIS_PROBE_SECONDS, well inside the kubelet's 3 s, and readiness stays 200."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with running(sqlite_url, f"redis://127.0.0.1:{port}/0", tmp_path) as app:
            migrate(app)
            started = time.monotonic()
            response = app.test_client().get("/ready")
            elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.get_json()["redis"] == "unavailable"
    assert elapsed < REDIS_PROBE_SECONDS + 1.0 < 3


def test_submitting_answers_503_while_redis_is_down_and_reads_still_work(
    sqlite_url: str, tmp_path: Path
) -> None:
    """With Redis down a submission is refused (503, its row FAILED) while /ready and the
    status page, which read the database, keep answering."""
    data_dir = write_data_dir(tmp_path / "data")
    with running(sqlite_url, CLOSED_REDIS, data_dir) as app:
        migrate(app)
        client = app.test_client()
        submitted = client.post("/run_backtest", json=valid_request())
        assert submitted.status_code == 503
        run_id = submitted.get_json()["run_id"]
        assert client.get("/ready").status_code == 200
        status = client.get(f"/status/{run_id}")
        assert status.status_code == 200
        assert status.get_json()["status"] == "FAILED"


def test_ready_is_503_naming_the_database_when_it_is_down(redis_url: str, tmp_path: Path) -> None:
    """With the database unreachable, /ready is 503, the schema unknown, Redis still named."""
    response = get(CLOSED_MYSQL, redis_url, tmp_path, "/ready")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "database": "unavailable",
        "schema": "unknown",
        "redis": "ok",
    }


def test_ready_is_503_naming_both_when_both_are_down(tmp_path: Path) -> None:
    """With nothing reachable, both are reported."""
    response = get(CLOSED_MYSQL, CLOSED_REDIS, tmp_path, "/ready")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "database": "unavailable",
        "schema": "unknown",
        "redis": "unavailable",
    }
