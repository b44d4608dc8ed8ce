"""A queue entry carries nothing we did not write (MariaDB + Redis; issue 23, items 3, 11, 8).

RQ resolves more names than a job's function — callbacks, dependencies, webhooks — so a
consumer refuses and quarantines a job carrying any of them, meta we never set, or a payload
other than one object naming the job's own id, before a single name is resolved; the item
the refused entry's id names is queued again at once; and a second delivery of an id being
executed is skipped before anything is computed, while a retry of an abandoned one still
runs."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from rq.executions import Execution
from rq.job import Job

from consumer.quarantine import problem_of, quarantined
from consumer.worker import RegisteredJob
from kinds.runs.kind import RUN_FUNCTION
from kinds.runs.store import mark_running
from tests.consumer.support import consumer, finish, quick_run, stored_run
from work.queue import DATABASE_UNAVAILABLE, DB_REQUEUES_META, FAILURE_META
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


def _job(queue, job_id: str) -> Job:
    return Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)


def _listed(queue) -> list[str]:
    return [entry.decode() for entry in queue.connection.lrange(queue.key, 0, -1)]


def _data(function: str, args: list, kwargs: dict | None = None, instance=None) -> bytes:
    return json.dumps([function, instance, args, kwargs or {}]).encode()


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("success_callback_name", "builtins.print", "success callback 'builtins.print'"),
        ("failure_callback_name", "this.s", "failure callback 'this.s'"),
        ("stopped_callback_name", "os.system", "stopped callback 'os.system'"),
        ("dependency_ids", '["another-job"]', "dependencies ['another-job']"),
        ("webhooks", '[{"url": "http://example.invalid/", "job_status": "finished"}]', "webhooks"),
        ("repeats_left", "3", "repeats"),
        ("group_id", "somebody", "group 'somebody'"),
        ("meta", '{"failure": "x", "hook": "os.system"}', "meta ['hook']"),
    ],
)
def test_a_job_carrying_anything_we_never_write_is_refused(sessions, queue, field, value, reason):
    """Our own run's job with one field set that our enqueue never writes is refused, and
    the reason names it; the same job without it may run."""
    run_id = quick_run(sessions, queue)
    assert problem_of(queue, run_id) is None
    queue.connection.hset(f"rq:job:{run_id}", field, value)

    problem = problem_of(queue, run_id)

    assert problem is not None and reason in problem, problem


def test_a_job_whose_id_has_dependents_is_refused(sessions, queue):
    """Jobs RQ would queue when this one ends (``rq:job:<id>:dependents``) are not ours."""
    run_id = quick_run(sessions, queue)
    queue.connection.sadd(f"rq:job:{run_id}:dependents", "stranger")

    assert "dependents" in (problem_of(queue, run_id) or "")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (lambda run_id: _data(RUN_FUNCTION, [{"run_id": run_id}, 1]), "only argument"),
        (lambda run_id: _data(RUN_FUNCTION, [{"run_id": run_id}], {"x": 1}), "only argument"),
        (lambda run_id: _data(RUN_FUNCTION, [{"run_id": run_id}], instance="x"), "only argument"),
        (lambda run_id: _data(RUN_FUNCTION, [["run_id", run_id]]), "not a JSON object"),
        (lambda run_id: _data(RUN_FUNCTION, [{"run_id": "another"}]), "names run_id 'another'"),
    ],
)
def test_job_data_other_than_one_object_naming_its_own_id_is_refused(sessions, queue, data, reason):
    run_id = quick_run(sessions, queue)
    queue.connection.hset(f"rq:job:{run_id}", "data", data(run_id))

    assert reason in (problem_of(queue, run_id) or "")


def test_the_meta_we_write_ourselves_is_accepted(sessions, queue):
    """The failure note and the reaper's count (``work.queue.OUR_META``) are ours."""
    run_id = quick_run(sessions, queue)
    job = _job(queue, run_id)
    job.meta.update({FAILURE_META: DATABASE_UNAVAILABLE, DB_REQUEUES_META: 2})
    job.save_meta()

    assert problem_of(queue, run_id) is None


def test_the_consumers_job_class_resolves_no_callback_its_hash_names(sessions, queue):
    """Written after the check (while the job runs), a callback is still never imported."""
    run_id = quick_run(sessions, queue)
    for field in ("success", "failure", "stopped"):
        queue.connection.hset(f"rq:job:{run_id}", f"{field}_callback_name", "builtins.print")

    job = RegisteredJob.fetch(run_id, connection=queue.connection, serializer=queue.serializer)

    assert job.success_callback is None
    assert job.failure_callback is None
    assert job.stopped_callback is None


@pytest.mark.slow  # consumer processes
def test_a_callback_on_our_own_run_is_never_imported_and_the_run_still_runs(
    env, sessions, queue, tmp_path
):
    """``on_success`` naming a module that marks its own import: the consumer quarantines
    the job without importing it, queues the run again from the database at once, and the
    next consumer runs it."""
    marker = tmp_path / "callback-imported"
    run_id = quick_run(sessions, queue)
    queue.connection.hset(
        f"rq:job:{run_id}", "success_callback_name", "tests.consumer.import_marker.anything"
    )

    code, log = finish(consumer(env, IMPORT_MARKER=str(marker)))

    assert code == 0, log
    assert "success callback" in log and "quarantined queue entry" in log, log
    assert [r["id"] for r in quarantined(queue)] == [run_id]
    assert _listed(queue) == [run_id], "queued again at once, from the database"
    assert queue.connection.hget(f"rq:job:{run_id}", "success_callback_name") in (None, b"")
    code, log = finish(consumer(env, IMPORT_MARKER=str(marker)))
    assert code == 0, log
    assert stored_run(sessions, run_id).status == RunStatus.SUCCEEDED, log
    assert not marker.exists(), "the callback's module was imported"


@pytest.mark.slow  # a consumer process
@pytest.mark.parametrize("payload", ["another run", "not an object"])
def test_a_refused_entry_queues_the_run_its_id_names_again_at_once(env, sessions, queue, payload):
    """A hand-made job under a waiting run's id whose payload names another run (or is not
    an object) is quarantined; the run its id names is queued again from its stored request
    at once (not 9 minutes later by the reaper), and the other run is not touched."""
    own = quick_run(sessions, queue, enqueue=False)
    other = quick_run(sessions, queue, enqueue=False)
    args = [{"run_id": other}] if payload == "another run" else [[other]]
    queue.enqueue(RUN_FUNCTION, *args, job_id=own)

    code, log = finish(consumer(env))

    assert code == 0, log
    assert [r["id"] for r in quarantined(queue)] == [own], log
    assert _listed(queue) == [own], log
    assert _job(queue, own).args[0]["run_id"] == own, "its stored request"
    assert stored_run(sessions, own).status == RunStatus.PENDING
    assert stored_run(sessions, other).status == RunStatus.PENDING, "not run under another id"
    assert stored_run(sessions, other).attempts == 0


def _register_execution(queue, run_id: str, worker: str, *, alive: bool) -> None:
    """What a consumer registers for its delivery before it forks (RQ's execution), with a
    heartbeat deadline ahead (alive) or passed (its pod died)."""
    job = _job(queue, run_id)
    with queue.connection.pipeline() as pipe:
        execution = Execution.create(job, 60, pipeline=pipe, worker_name=worker)
        pipe.execute()
    if not alive:
        started = job.started_job_registry.key
        queue.connection.zadd(started, {execution.composite_key: time.time() - 1})


@pytest.mark.slow  # a consumer process
def test_a_delivery_racing_a_live_one_skips_before_computing(env, sessions, queue):
    """Another consumer took the same id a moment ago: its execution is registered, its
    work-horse has not yet marked the job started. This delivery is skipped before it
    forks; the run is left to the other."""
    run_id = quick_run(sessions, queue)
    _register_execution(queue, run_id, "the other consumer", alive=True)

    code, log = finish(consumer(env))

    assert code == 0, log
    assert "duplicate delivery: another delivery is live" in log, log
    assert "running (attempt" not in log, log
    row = stored_run(sessions, run_id)
    assert row.status == RunStatus.PENDING and row.attempts == 0
    assert queue.connection.llen(queue.intermediate_queue_key) == 0


@pytest.mark.slow  # a consumer process
def test_a_retry_of_an_abandoned_delivery_still_runs(env, sessions, queue):
    """The run is RUNNING from a delivery whose heartbeat deadline passed (its pod died):
    the next delivery takes it over and stores the result."""
    run_id = quick_run(sessions, queue)
    with sessions.begin() as session:
        mark_running(session, run_id, "a dead pod:1")
    _register_execution(queue, run_id, "a dead pod", alive=False)

    code, log = finish(consumer(env))

    assert code == 0, log
    row = stored_run(sessions, run_id)
    assert row.status == RunStatus.SUCCEEDED and row.attempts == 2, log


@pytest.mark.slow  # consumer processes
def test_three_deliveries_of_one_run_at_once_compute_it_once(env, sessions, queue):
    """The fault campaign's case: the run's id pushed twice plus a second job naming it,
    three consumers started together. One computes it; the others skip or are refused
    before computing; the row shows one attempt."""
    run_id = quick_run(sessions, queue)
    queue.connection.rpush(queue.key, run_id)
    payload = _job(queue, run_id).args[0]
    queue.enqueue(RUN_FUNCTION, payload, job_id="second-job")

    procs: list[subprocess.Popen] = [consumer(env) for _ in range(3)]
    results = [finish(proc) for proc in procs]

    logs = "\n".join(log for _, log in results)
    assert [code for code, _ in results] == [0, 0, 0], logs
    assert logs.count("running (attempt") == 1, logs
    row = stored_run(sessions, run_id)
    assert row.status == RunStatus.SUCCEEDED and row.attempts == 1, logs
    assert "second-job" in {r["id"] for r in quarantined(queue)}
