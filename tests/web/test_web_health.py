"""Tests for web/health.py: /health touches nothing, /ready checks database and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.support import CLOSED_MYSQL, CLOSED_REDIS, build_app, close_app

pytestmark = pytest.mark.redis


def get(database_url: str, redis_url: str, data_dir: Path, path: str):
    app = build_app(database_url, redis_url, data_dir)
    try:
        return app.test_client().get(path)
    finally:
        close_app(app)


def test_health_is_ok_even_with_every_dependency_down(tmp_path):
    """Liveness does not touch the database or Redis."""
    response = get(CLOSED_MYSQL, CLOSED_REDIS, tmp_path, "/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_is_200_when_database_and_redis_answer(sqlite_url, redis_url, tmp_path):
    """Readiness passes when SELECT 1 and PING both work."""
    response = get(sqlite_url, redis_url, tmp_path, "/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "database": "ok", "redis": "ok"}


def test_ready_is_503_naming_redis_when_redis_is_down(sqlite_url, tmp_path):
    """With Redis unreachable, /ready is 503 and says it is Redis."""
    response = get(sqlite_url, CLOSED_REDIS, tmp_path, "/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "database": "ok", "redis": "unavailable"}


def test_ready_is_503_naming_the_database_when_it_is_down(redis_url, tmp_path):
    """With the database unreachable, /ready is 503 and says it is the database."""
    response = get(CLOSED_MYSQL, redis_url, tmp_path, "/ready")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "database": "unavailable", "redis": "ok"}


def test_ready_is_503_naming_both_when_both_are_down(tmp_path):
    """With nothing reachable, both are reported."""
    response = get(CLOSED_MYSQL, CLOSED_REDIS, tmp_path, "/ready")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "database": "unavailable",
        "redis": "unavailable",
    }
