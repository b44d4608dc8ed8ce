"""Tests for web/pages/rq_dashboard.py: rq-dashboard is mounted at /rq only when enabled, and it
reads JSON jobs and busy JSON workers (the two recipe fixes)."""

from __future__ import annotations

import pytest
from rq import Worker
from rq.job import JobStatus
from rq.registry import FailedJobRegistry
from rq.results import Result

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


def failed_job(app) -> str:
    """A run's job failed as a worker fails it (status, failed registry, a failure result with
    its traceback, which rq-dashboard shows with a Requeue button); its id."""
    queue = get_run_queue(app).queue
    job = enqueue_run(queue, make_request())
    queue.remove(job.id)
    job.set_status(JobStatus.FAILED)
    Result.create_failure(job, ttl=600, exc_string="Traceback: boom")
    FailedJobRegistry(queue=queue).add(job, exc_string="Traceback: boom")
    return job.id


def test_requeueing_a_queue_by_get_is_405_and_changes_nothing(sqlite_url, redis_url, data_dir):
    """``GET /rq/requeue/<queue>`` (rq-dashboard routes it for GET and POST) would requeue every
    failed job from a link or an <img> of another site: it is 405 (Allow: POST); the POST of
    its own button still requeues."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        client = app.test_client()
        queue = get_run_queue(app).queue
        job_id = failed_job(app)
        answer = client.get(f"/rq/requeue/{queue.name}")
        assert answer.status_code == 405
        assert "POST" in answer.headers["Allow"]
        assert FailedJobRegistry(queue=queue).get_job_ids() == [job_id]
        posted = client.post(f"/rq/requeue/{queue.name}", headers=SAME_ORIGIN)
        assert posted.status_code == 200
        assert posted.get_json() == {"status": "OK", "count": 1}
        assert queue.job_ids == [job_id]


SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
"""What a browser adds to a request a page of this origin makes (rq-dashboard's buttons)."""

CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://evil.example"},
]
"""What a browser adds to a request another site's page makes."""


def state_changes(queue_name: str, job_id: str) -> list[str]:
    """rq-dashboard's state-changing routes (rq_dashboard/web.py: every POST route)."""
    return [
        f"/rq/job/{job_id}/requeue",
        f"/rq/job/{job_id}/delete",
        f"/rq/requeue/{queue_name}",
        f"/rq/queue/{queue_name}/failed/empty",
        f"/rq/queue/{queue_name}/queued/empty",
        f"/rq/queue/{queue_name}/compact",
    ]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_a_cross_site_state_change_is_refused_without_sign_in(
    sqlite_url, redis_url, data_dir, headers
):
    """AUTH_MODE=none has no session and no CSRF token, so another site's page could POST to
    rq-dashboard: a state change the browser marks cross-site is 403 and changes nothing,
    while its own buttons (same-origin) and a script sending no browser headers still pass."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        client = app.test_client()
        queue = get_run_queue(app).queue
        job_id = failed_job(app)
        queued = enqueue_run(queue, make_request())
        for url in state_changes(queue.name, job_id):
            answer = client.post(url, headers=headers)
            assert answer.status_code == 403, url
            assert answer.get_json()["field"] == "Origin", url
        assert FailedJobRegistry(queue=queue).get_job_ids() == [job_id]
        assert queue.job_ids == [queued.id]
        assert client.post(f"/rq/job/{job_id}/requeue", headers=SAME_ORIGIN).status_code == 200
        assert queue.job_ids == [queued.id, job_id]
        origin = {"Origin": "http://localhost"}
        assert client.post(f"/rq/job/{queued.id}/delete", headers=origin).json == {"status": "OK"}
        assert client.post(f"/rq/queue/{queue.name}/queued/empty").status_code == 200
        assert queue.job_ids == []


@pytest.mark.parametrize("action", ["requeue", "delete"])
def test_an_unknown_jobs_requeue_or_delete_is_404(sqlite_url, redis_url, data_dir, action):
    """Requeueing or deleting a job that does not exist is 404 naming the job (rq-dashboard
    answered 500 for a requeue and 200 {"status": "ERROR"} for a delete)."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        answer = app.test_client().post(f"/rq/job/no-such-job/{action}", headers=SAME_ORIGIN)
        assert answer.status_code == 404
        assert answer.get_json() == {"error": "no such job: no-such-job", "field": "job_id"}


def test_requeueing_a_job_that_did_not_fail_is_409(sqlite_url, redis_url, data_dir):
    """Only a failed job can be requeued: a queued one is 409 naming the job, not a 500."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        job = enqueue_run(get_run_queue(app).queue, make_request())
        answer = app.test_client().post(f"/rq/job/{job.id}/requeue", headers=SAME_ORIGIN)
        assert answer.status_code == 409
        assert answer.get_json()["field"] == "job_id"


@pytest.mark.parametrize("path", ["/rq/0/view/job/no-such-job", "/rq/0/data/job/no-such-job.json"])
def test_an_unknown_jobs_page_is_404(sqlite_url, redis_url, data_dir, path):
    """The page or data of a job that does not exist (expired, mistyped) is 404, not 500."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        assert app.test_client().get(path).status_code == 404


def test_an_unknown_redis_instance_is_404(sqlite_url, redis_url, data_dir):
    """rq-dashboard numbers its Redis instances (one here): another number is 404, not 500."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        assert app.test_client().get("/rq/1/data/queues.json").status_code == 404


def test_compacting_an_empty_queue_is_200(sqlite_url, redis_url, data_dir):
    """An empty queue has no list in Redis, so there is nothing to compact: 200 (rq-dashboard's
    RENAME of the missing key answered 503); a queue with jobs keeps them."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")):
        client = app.test_client()
        queue = get_run_queue(app).queue
        answer = client.post(f"/rq/queue/{queue.name}/compact", headers=SAME_ORIGIN)
        assert answer.status_code == 200
        assert answer.get_json() == {"status": "OK"}
        job = enqueue_run(queue, make_request())
        assert (
            client.post(f"/rq/queue/{queue.name}/compact", headers=SAME_ORIGIN).status_code == 200
        )
        assert queue.job_ids == [job.id]
