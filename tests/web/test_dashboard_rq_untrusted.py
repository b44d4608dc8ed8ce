"""Tests for web/pages/rq_json_only.py: rq-dashboard's routes never unpickle a job hash and
never answer 500 on one they cannot read.

Each hostile job is a failed run's job (in ``rq:failed:<queue>``) with one field of its hash
replaced as anybody with Redis access could: ``meta``, ``data`` or ``exc_info`` a pickle
whose loading is recorded in ``CALLS`` (``tests.pickle_trap``), or bytes that are not UTF-8.
Every
route an admin opens on it must leave ``CALLS`` empty and answer 200 showing the job as
unreadable, or a 4xx."""

from __future__ import annotations

import base64
import zlib

import pytest
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result

from tests.pickle_trap import CALLS, armed, pickled
from tests.web.support import app_with_schema, serve
from tests.web.test_dashboard_rq import SAME_ORIGIN, failed_job
from web.pages.rq_json_only import UNREADABLE
from web.queue import get_run_queue

pytestmark = pytest.mark.redis

NOT_UTF8 = b"\xff\xfe\x80 not text"

HOSTILE_FIELDS = [
    ("meta", pickled("meta")),
    ("data", pickled("data")),
    ("data", zlib.compress(pickled("data-compressed"))),
    ("exc_info", pickled("exc_info")),
    ("meta", NOT_UTF8),
    ("data", NOT_UTF8),
    ("exc_info", NOT_UTF8),
    ("description", NOT_UTF8),
]
"""A field of the job hash and what is planted in it."""

IDS = [
    f"{field}-{'pickle' if value != NOT_UTF8 else 'not-utf8'}" for field, value in HOSTILE_FIELDS
]


@pytest.fixture(autouse=True)
def no_calls():
    """``CALLS`` empty before each test; the planted pickle really executes when loaded."""
    armed()
    yield
    CALLS.clear()


@pytest.fixture(scope="module")
def app_settings() -> dict[str, str]:
    """The module's app (``app``) with rq-dashboard mounted."""
    return {"RQ_DASHBOARD_ENABLED": "1"}


@pytest.fixture
def dashboard(app):
    """The app with rq-dashboard mounted (AUTH_MODE=none: every request is the admin's)."""
    return app


def hostile_failed_job(app, field: str, value: bytes) -> str:
    """A failed run's job whose hash field ``field`` is replaced by ``value``; its id."""
    job_id = failed_job(app)
    get_run_queue(app).queue.connection.hset(Job.key_for(job_id), field, value)
    return job_id


def views(queue_name: str, job_id: str) -> list[str]:
    """rq-dashboard's GET routes that read a job, its registry or its queue."""
    return [
        f"/rq/0/view/job/{job_id}",
        f"/rq/0/data/job/{job_id}.json",
        f"/rq/0/view/jobs/{queue_name}/failed/8/asc/1",
        f"/rq/0/data/jobs/{queue_name}/failed/8/asc/1.json",
        f"/rq/0/data/jobs/{queue_name}/failed/8/dsc/1.json",
        "/rq/0/data/queues.json",
        "/rq/",
    ]


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_viewing_an_unreadable_job_executes_nothing_and_shows_it_unreadable(
    dashboard, field, value
):
    """The job's page, its data, its registry's listing and the overviews answer 200 without
    loading the planted bytes; the job's data and its row in the listing say it is
    unreadable and why."""
    client = dashboard.test_client()
    queue = get_run_queue(dashboard).queue
    job_id = hostile_failed_job(dashboard, field, value)
    for path in views(queue.name, job_id):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert CALLS == [], path
    detail = client.get(f"/rq/0/data/job/{job_id}.json").get_json()
    assert detail["id"] == job_id
    assert detail["status"] == UNREADABLE
    assert detail["description"].startswith(UNREADABLE)
    assert field in detail["description"]
    listed = client.get(f"/rq/0/data/jobs/{queue.name}/failed/8/asc/1.json").get_json()["jobs"]
    assert [job["id"] for job in listed] == [job_id]
    assert listed[0]["description"].startswith(UNREADABLE)


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_requeueing_an_unreadable_job_is_409_and_leaves_it_failed(dashboard, field, value):
    """Requeue refuses a job it cannot read (409 naming it): it stays in the failed registry,
    unqueued, and nothing is executed."""
    queue = get_run_queue(dashboard).queue
    job_id = hostile_failed_job(dashboard, field, value)
    answer = dashboard.test_client().post(f"/rq/job/{job_id}/requeue", headers=SAME_ORIGIN)
    assert answer.status_code == 409
    assert answer.get_json()["field"] == "job_id"
    assert "cannot be read" in answer.get_json()["error"]
    assert CALLS == []
    assert FailedJobRegistry(queue=queue).get_job_ids() == [job_id]
    assert queue.job_ids == []


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_deleting_an_unreadable_job_removes_it_without_executing(dashboard, field, value):
    """Delete is the admin's remedy for an unreadable job: 200, its hash and its registry
    entry are gone, nothing was loaded."""
    queue = get_run_queue(dashboard).queue
    job_id = hostile_failed_job(dashboard, field, value)
    answer = dashboard.test_client().post(f"/rq/job/{job_id}/delete", headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "OK"}
    assert CALLS == []
    assert not queue.connection.exists(Job.key_for(job_id))
    assert FailedJobRegistry(queue=queue).get_job_ids() == []


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_requeue_all_requeues_the_readable_jobs_and_skips_the_unreadable(dashboard, field, value):
    """Requeue all requeues every readable failed job and leaves each unreadable one failed,
    naming it (one hostile entry does not stop the others); nothing is executed."""
    queue = get_run_queue(dashboard).queue
    readable = failed_job(dashboard)
    hostile = hostile_failed_job(dashboard, field, value)
    answer = dashboard.test_client().post(f"/rq/requeue/{queue.name}", headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "OK", "count": 1, "unreadable": [hostile]}
    assert CALLS == []
    assert queue.job_ids == [readable]
    assert FailedJobRegistry(queue=queue).get_job_ids() == [hostile]


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_emptying_the_failed_registry_deletes_unreadable_jobs_without_executing(
    dashboard, field, value
):
    """Emptying the failed registry deletes readable and unreadable jobs alike: 200, both
    hashes gone, nothing executed."""
    queue = get_run_queue(dashboard).queue
    readable = failed_job(dashboard)
    hostile = hostile_failed_job(dashboard, field, value)
    client = dashboard.test_client()
    answer = client.post(f"/rq/queue/{queue.name}/failed/empty", headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert CALLS == []
    assert FailedJobRegistry(queue=queue).get_job_ids() == []
    for job_id in (readable, hostile):
        assert not queue.connection.exists(Job.key_for(job_id))


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_a_worker_busy_on_an_unreadable_job_is_listed_without_executing(dashboard, field, value):
    """The workers' data show a worker whose current job cannot be read: 200, the job marked
    unreadable, nothing executed."""
    queue = get_run_queue(dashboard).queue
    job_id = hostile_failed_job(dashboard, field, value)
    worker = Worker([queue], connection=queue.connection, serializer=queue.serializer)
    worker.register_birth()
    try:
        worker.set_state("busy")
        worker.set_current_job_id(job_id)
        answer = dashboard.test_client().get("/rq/0/data/workers.json")
        assert answer.status_code == 200
        assert CALLS == []
        (listed,) = answer.get_json()["workers"]
        assert listed["current_job"]["job_id"] == job_id
        assert listed["current_job"]["description"].startswith(UNREADABLE)
    finally:
        worker.register_death()


def test_a_readable_failed_job_keeps_its_data_and_can_be_requeued(dashboard):
    """A job we wrote is read as before: its status, description and traceback are shown and
    its requeue succeeds."""
    client = dashboard.test_client()
    queue = get_run_queue(dashboard).queue
    job_id = failed_job(dashboard)
    detail = client.get(f"/rq/0/data/job/{job_id}.json").get_json()
    assert detail["status"] == "failed"
    assert detail["exc_info"] == "Traceback: boom"
    assert not detail["description"].startswith(UNREADABLE)
    assert client.post(f"/rq/job/{job_id}/requeue", headers=SAME_ORIGIN).status_code == 200
    assert queue.job_ids == [job_id]


def test_a_hand_made_pickled_job_in_the_failed_registry_is_shown_and_deleted(dashboard):
    """A hash of nothing but a pickled ``data`` and ``meta`` (no status, no origin), its id
    put in the failed registry by hand: listed as unreadable and deleted from every queue's
    registries, nothing executed."""
    queue = get_run_queue(dashboard).queue
    redis = queue.connection
    redis.sadd("rq:queues", queue.key)
    redis.hset(Job.key_for("planted"), mapping={"data": pickled("d"), "meta": pickled("m")})
    redis.zadd(FailedJobRegistry(queue=queue).key, {"planted": 9999999999})
    client = dashboard.test_client()
    for path in views(queue.name, "planted"):
        assert client.get(path).status_code == 200, path
    assert client.get("/rq/0/data/job/planted.json").get_json()["status"] == UNREADABLE
    answer = client.post("/rq/job/planted/delete", headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert CALLS == []
    assert not redis.exists(Job.key_for("planted"))
    assert FailedJobRegistry(queue=queue).get_job_ids() == []


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "1", "return_value": base64.b64encode(pickled("result")).decode()},
        {"type": "2", "exc_string": base64.b64encode(NOT_UTF8).decode()},
        {"type": "9"},
    ],
    ids=["return-value-pickle", "exc-string-not-zlib", "unknown-type"],
)
def test_a_result_that_cannot_be_read_marks_the_job_unreadable(dashboard, payload):
    """A result planted in ``rq:results:<id>`` that is not ours (a pickled return value,
    a traceback that is not compressed text, a type RQ does not know): the job's data and
    listing answer 200 marking it unreadable, nothing executed."""
    queue = get_run_queue(dashboard).queue
    job_id = failed_job(dashboard)
    queue.connection.xadd(Result.get_key(job_id), payload)
    client = dashboard.test_client()
    for path in views(queue.name, job_id):
        assert client.get(path).status_code == 200, path
    detail = client.get(f"/rq/0/data/job/{job_id}.json").get_json()
    assert "result cannot be read" in detail["description"]
    assert CALLS == []


def test_a_job_with_planted_dependencies_shows_the_valid_ids(dashboard):
    """A dependencies set written by hand (we never write one) with an id RQ refuses and one
    that is not text: the job's data answer 200 listing the valid id (rq-dashboard 0.9
    decoded RQ 2's already decoded ids: 500)."""
    queue = get_run_queue(dashboard).queue
    job_id = failed_job(dashboard)
    dependencies = Job(job_id, connection=queue.connection).dependencies_key
    queue.connection.sadd(dependencies, "other", "bad id!", NOT_UTF8)
    answer = dashboard.test_client().get(f"/rq/0/data/job/{job_id}.json")
    assert answer.status_code == 200
    assert answer.get_json()["depends_on"] == ["other"]
    assert answer.get_json()["depends_on_status"] == ["expired"]


@pytest.mark.parametrize(("field", "value"), HOSTILE_FIELDS, ids=IDS)
def test_full_arguments_of_an_unreadable_job_are_not_loaded(
    sqlite_url, redis_url, data_dir, field, value
):
    """With RQ_DASHBOARD_SHOW_FULL_ARGS the listing shows each job's call: an unreadable
    job's is not loaded (200, marked unreadable, nothing executed)."""
    full = {"RQ_DASHBOARD_ENABLED": "1", "RQ_DASHBOARD_SHOW_FULL_ARGS": True}
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir, **full)):
        queue = get_run_queue(app).queue
        readable = failed_job(app)
        hostile = hostile_failed_job(app, field, value)
        answer = app.test_client().get(f"/rq/0/data/jobs/{queue.name}/failed/8/asc/1.json")
        assert answer.status_code == 200
        jobs = {job["id"]: job["description"] for job in answer.get_json()["jobs"]}
        assert jobs[hostile].startswith(UNREADABLE)
        assert "run_backtest" in jobs[readable]
        assert CALLS == []


def test_every_rq_dashboard_name_that_reads_jobs_is_json_only(dashboard):
    """Once mounted, every class rq_dashboard.web builds jobs, queues, registries or workers
    from reads with the queue's JSON serializer and an OperatorJob, whatever it passes; and
    its routes are the ones this module was written against (a new route must be read
    before it is trusted)."""
    import rq_dashboard.web as rqd_web
    from rq.job import Job as RQJob
    from rq.queue import Queue as RQQueue
    from rq.registry import BaseRegistry
    from rq.worker import Worker as RQWorker

    from web.pages.rq_json_only import OperatorJob
    from work.untrusted import QueueJSONSerializer

    connection = get_run_queue(dashboard).queue.connection
    for name, value in vars(rqd_web).items():
        if not isinstance(value, type):
            continue
        if issubclass(value, RQJob):
            assert value is OperatorJob, name
        elif issubclass(value, RQQueue | BaseRegistry | RQWorker) and value is not BaseRegistry:
            first = ["q"] if issubclass(value, RQWorker) else "q"  # a worker's queues
            built = value(first, connection=connection, serializer="pickle")
            assert built.serializer is QueueJSONSerializer, name
            assert built.job_class is OperatorJob, name
    assert rqd_web.config.serializer is QueueJSONSerializer
    endpoints = {rule.endpoint for rule in dashboard.url_map.iter_rules()}
    assert {e for e in endpoints if e.startswith("rq_dashboard.")} == RQ_DASHBOARD_ENDPOINTS


RQ_DASHBOARD_ENDPOINTS = {
    f"rq_dashboard.{name}"
    for name in (
        "static",
        "favicon",
        "queues_overview",
        "workers_overview",
        "jobs_overview",
        "job_view",
        "delete_job_view",
        "requeue_job_view",
        "requeue_all",
        "empty_queue",
        "compact_queue",
        "list_queues",
        "list_jobs",
        "job_info",
        "list_workers",
    )
}
"""rq-dashboard 0.9's routes, each read for how it fetches jobs (``web.pages.rq_json_only``)."""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", b"bogus"),
        ("status", b""),
        ("created_at", b"yesterday"),
        ("timeout", b"forever"),
        ("dependency_ids", b"[not json"),
        ("group_id", b"no-such-group"),
    ],
)
def test_a_text_field_rq_cannot_parse_is_shown_and_deleted(dashboard, field, value):
    """Fields that are text but not what RQ parses (a status it does not know or none, a
    date or a timeout it cannot read, a group that does not exist): the job's page, data
    and listing answer 200 and Delete removes it (a 500 or a 409 before)."""
    queue = get_run_queue(dashboard).queue
    job_id = hostile_failed_job(dashboard, field, value)
    client = dashboard.test_client()
    for path in views(queue.name, job_id):
        assert client.get(path).status_code == 200, path
    answer = client.post(f"/rq/job/{job_id}/delete", headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert not queue.connection.exists(Job.key_for(job_id))
    assert FailedJobRegistry(queue=queue).get_job_ids() == []
