"""Tests for web/__init__.py: create_app reads the environment, test_config overrides it,
and every blueprint's routes are registered."""

from __future__ import annotations

import importlib

import pytest

from web import MAX_BODY_BYTES, blueprints, create_app
from web.db import get_engine
from web.queue import get_run_queue

ENV = {
    "DATABASE_URL": "sqlite:////tmp/from-env.sqlite3",
    "REDIS_URL": "redis://redis.example:6380/2",
    "RQ_QUEUE": "env-queue",
    "IMAGE_TAG": "sha-abc123",
    "DATA_DIR": "/srv/market-data",
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def close(app) -> None:
    get_engine(app).dispose()
    get_run_queue(app).redis.close()


def test_config_comes_from_the_environment(clean_env):
    """DATABASE_URL, REDIS_URL, RQ_QUEUE, IMAGE_TAG and DATA_DIR are read from the env."""
    for name, value in ENV.items():
        clean_env.setenv(name, value)
    app = create_app({"TESTING": True})
    try:
        assert {name: app.config[name] for name in ENV} == ENV
        assert str(get_engine(app).url) == ENV["DATABASE_URL"]
        run_queue = get_run_queue(app)
        assert run_queue.queue.name == "env-queue"
        assert run_queue.queue.key == "rq:queue:env-queue"
        kwargs = run_queue.redis.connection_pool.connection_kwargs
        assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example", 6380, 2)
    finally:
        close(app)


def test_test_config_overrides_the_environment(clean_env, tmp_path):
    """Keys given to create_app win over the environment."""
    for name, value in ENV.items():
        clean_env.setenv(name, value)
    override = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'override.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/15",
        "RQ_QUEUE": "override-queue",
        "IMAGE_TAG": "override-tag",
        "DATA_DIR": str(tmp_path),
    }
    app = create_app(override)
    try:
        assert {name: app.config[name] for name in override} == override
        assert get_run_queue(app).queue.name == "override-queue"
        assert app.testing
    finally:
        close(app)


def test_defaults_without_environment(clean_env):
    """Unset variables fall back to the documented defaults."""
    app = create_app({"TESTING": True})
    try:
        assert app.config["DATABASE_URL"].startswith("sqlite:///")
        assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
        assert app.config["RQ_QUEUE"] == "backtests"
        assert app.config["IMAGE_TAG"] is None
        assert app.config["DATA_DIR"] is None
        assert app.config["MAX_CONTENT_LENGTH"] == MAX_BODY_BYTES == 1024 * 1024
    finally:
        close(app)


def test_every_api_route_is_registered(sqlite_url):
    """The factory registers each listed blueprint and with it every documented route."""
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    try:
        routes = {
            (rule.rule, method)
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
        assert routes >= {
            ("/run_backtest", "POST"),
            ("/status/<path:run_id>", "GET"),
            ("/api/runs", "GET"),
            ("/api/rules", "GET"),
            ("/api/tickers", "GET"),
            ("/api/strategies", "GET"),
            ("/api/strategies", "POST"),
            ("/api/strategies/<int:preset_id>", "GET"),
            ("/api/strategies/<int:preset_id>", "PUT"),
            ("/api/strategies/<int:preset_id>", "DELETE"),
            ("/api/runs/<run_id>/cancel", "POST"),
            ("/api/runs/<run_id>", "DELETE"),
            ("/api/runs/<run_id>", "PATCH"),
            ("/health", "GET"),
            ("/ready", "GET"),
        }
        names = [importlib.import_module(module).bp.name for module in blueprints()]
        assert names == list(app.blueprints)
    finally:
        close(app)


def test_each_app_gets_its_own_engine_and_redis_client(sqlite_url):
    """Two apps share no connection pool and no Redis client."""
    first = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    second = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    try:
        assert get_engine(first) is not get_engine(second)
        assert get_run_queue(first).redis is not get_run_queue(second).redis
    finally:
        close(first)
        close(second)


def test_unknown_route_is_a_json_404(sqlite_url):
    """The built app answers unknown paths with JSON, not an HTML page."""
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    try:
        response = app.test_client().get("/no/such/page")
        assert response.status_code == 404
        assert response.get_json() == {"error": "not found"}
    finally:
        close(app)


def test_any_setting_can_be_overridden_and_is_validated(clean_env, sqlite_url):
    """test_config overrides settings beyond the connection ones, typed by Settings (or by
    the kind that declares them: SWEEP_CHUNK_SIZE is the sweep kind's)."""
    clean_env.setenv("RUN_MAX_BARS", "500")
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url, "SWEEP_CHUNK_SIZE": "250"})
    try:
        assert app.config["RUN_MAX_BARS"] == 500
        settings = app.extensions["settings"]
        assert (settings.run_max_bars, app.config["SWEEP_CHUNK_SIZE"]) == (500, 250)
    finally:
        close(app)
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url, "RUN_MAX_BARS": 7})
    try:
        assert app.config["RUN_MAX_BARS"] == app.extensions["settings"].run_max_bars == 7
    finally:
        close(app)


def test_an_invalid_setting_fails_the_build(clean_env):
    """A setting of the wrong type is refused when the app is built, not on a request."""
    clean_env.setenv("RUN_MAX_BARS", "lots")
    with pytest.raises(ValueError, match="run_max_bars"):
        create_app({"TESTING": True})


def test_settings_are_read_once_when_the_app_is_built(app, client, monkeypatch):
    """RUN_MAX_BARS is the app's setting: changing the environment later changes nothing."""
    from tests.web.support import valid_request

    app.config["RUN_MAX_BARS"] = 10
    monkeypatch.setenv("RUN_MAX_BARS", "100000")
    response = client.post("/run_backtest", json=valid_request())
    assert response.status_code == 400
    assert response.get_json()["field"] == "end_date"
    assert "at most 10" in response.get_json()["error"]
