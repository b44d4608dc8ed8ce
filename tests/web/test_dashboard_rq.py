"""Tests for web/pages/rq_dashboard.py: rq-dashboard is mounted at /rq only when enabled, and it
reads JSON jobs and busy JSON workers (the two recipe fixes)."""

from __future__ import annotations

import pytest
from rq import Worker

from kinds.runs.kind import enqueue_run
from tests.web.support import app_with_schema, serve
from tests.web.support_dashboard import make_request
from web.pages.rq_dashboard import rq_dashboard_enabled
from web.queue import get_run_queue
from web.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.redis


@pytest.mark.parametrize(
    ("config", "env", "enabled"),
    [
        ("1", "", True),
        ("true", "", True),
        ("0", "1", False),
        (None, "yes", True),
        (None, "", False),
        (None, "off", False),
    ],
)
def test_enabled_reads_config_then_environment(monkeypatch, config, env, enabled):
    """RQ_DASHBOARD_ENABLED: the app's setting wins over the environment; 1/true/yes/on."""
    from flask import Flask

    monkeypatch.setenv("RQ_DASHBOARD_ENABLED", env)
    app = Flask(__name__)
    if config is not None:
        app.config["RQ_DASHBOARD_ENABLED"] = config
    assert rq_dashboard_enabled(app) is enabled


def test_rq_dashboard_is_absent_by_default(sqlite_url, redis_url, data_dir):
    """Without the setting there is no /rq and no RQ link in the navigation."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="0")):
        client = app.test_client()
        assert client.get("/rq/").status_code == 404
        assert 'href="/rq/"' not in client.get("/").get_data(as_text=True)


def test_rq_dashboard_shows_json_jobs_and_busy_workers(sqlite_url, redis_url, data_dir):
    """Mounted: the overview, a JSON job's detail and a busy JSON worker all answer 200."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        client = app.test_client()
        assert 'href="/rq/"' in client.get("/").get_data(as_text=True)
        assert client.get("/rq/").status_code == 200
        queue = get_run_queue(app).queue
        job = enqueue_run(queue, make_request())
        detail = client.get(f"/rq/0/data/job/{job.id}.json")
        assert detail.status_code == 200
        assert detail.get_json()["id"] == job.id
        worker = Worker([queue], connection=queue.connection, serializer=queue.serializer)
        worker.register_birth()
        try:
            worker.set_state("busy")
            worker.set_current_job_id(job.id)
            workers = client.get("/rq/0/data/workers.json")
            assert workers.status_code == 200
            assert worker.name in workers.get_data(as_text=True)
        finally:
            worker.register_death()


def test_rq_dashboard_pages_are_exempt_from_the_csp_only(sqlite_url, redis_url, data_dir):
    """rq-dashboard runs an inline script: its pages get no CSP (it would stop them loading
    their tables) but keep the other headers; the app's own pages keep the CSP."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        client = app.test_client()
        for path in ("/rq/", "/rq/0/data/queues.json"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "Content-Security-Policy" not in response.headers, path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "same-origin", path
        assert client.get("/").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
