"""Tests for web/api/queue_snapshot.py against the real test Redis: counts from RQ's queue and
registries, the consumers from RQ's worker registry (JSON serializer), and the consumers the
local scaler started that RQ does not list yet (work.starting)."""

from __future__ import annotations

import uuid

import pytest
from redis import Redis
from rq import Worker
from rq.executions import Execution

from kinds.runs.kind import enqueue_run
from tests.web.support_dashboard import make_request, registered_worker
from web.api.queue_snapshot import queue_snapshot
from work.queue import backtest_queue
from work.starting import StartingConsumer, record_starting, starting_key

pytestmark = pytest.mark.redis


@pytest.fixture
def connection(redis_url):
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def queue(connection):
    return backtest_queue(connection, f"dash-tests-{uuid.uuid4().hex[:8]}")


def test_an_empty_queue_has_zero_counts_and_no_consumers(queue):
    """A queue nobody used: every count is 0 and there are no workers."""
    assert queue_snapshot(queue) == {
        "queue": queue.name,
        "queued": 0,
        "running": 0,
        "failed": 0,
        "scheduled": 0,
        "consumers": 0,
        "workers": [],
        "starting": 0,
        "starting_consumers": [],
    }


def test_counts_follow_rqs_queue_and_registries(queue):
    """Queued jobs, a started execution and a failed job are each counted once."""
    jobs = [enqueue_run(queue, make_request()) for _ in range(3)]
    started = queue.fetch_job(jobs[0].id)
    with queue.connection.pipeline() as pipe:
        Execution.create(started, ttl=60, pipeline=pipe)
        pipe.execute()
    queue.remove(jobs[0])
    queue.remove(jobs[1])
    queue.failed_job_registry.add(jobs[1], ttl=60, exc_string="boom")
    snapshot = queue_snapshot(queue)
    assert (snapshot["queued"], snapshot["running"], snapshot["failed"]) == (1, 1, 1)


def test_a_busy_consumer_is_listed_with_its_run(queue):
    """A registered worker busy with a JSON job is listed (name, state, current run)."""
    job = enqueue_run(queue, make_request())
    worker = Worker([queue], connection=queue.connection, serializer=queue.serializer)
    worker.register_birth()
    try:
        worker.set_state("busy")
        worker.set_current_job_id(job.id)
        snapshot = queue_snapshot(queue)
        assert snapshot["consumers"] == 1
        (listed,) = snapshot["workers"]
        assert listed["name"] == worker.name
        assert listed["state"] == "busy"
        assert listed["current_run_id"] == job.id
        assert listed["started_at"].endswith("+00:00")
    finally:
        worker.register_death()
    assert queue_snapshot(queue)["consumers"] == 0


def test_a_started_consumer_counts_as_starting_until_rq_lists_its_worker(queue):
    """The scaler's record shows as starting; once RQ has a worker "<name>:<pid>" it is a
    registered consumer and no longer starting (never both)."""
    launched = [
        StartingConsumer("local-consumer-1", "2026-11-23T08:00:00+00:00"),
        StartingConsumer("local-consumer-2", "2026-11-23T08:00:01+00:00"),
    ]
    record_starting(queue.connection, queue.name, launched, ttl=60)
    try:
        snapshot = queue_snapshot(queue)
        assert (snapshot["starting"], snapshot["consumers"]) == (2, 0)
        assert snapshot["starting_consumers"][0] == {
            "name": "local-consumer-1",
            "started_at": "2026-11-23T08:00:00+00:00",
        }
        with registered_worker(queue, "local-consumer-1:4242"):
            snapshot = queue_snapshot(queue)
            assert (snapshot["starting"], snapshot["consumers"]) == (1, 1)
            assert [c["name"] for c in snapshot["starting_consumers"]] == ["local-consumer-2"]
    finally:
        queue.connection.delete(starting_key(queue.name))


def test_a_consumer_named_like_a_prefix_of_another_is_not_taken_for_it(queue):
    """ "local-consumer-1" is not registered by a worker "local-consumer-12:7"."""
    record_starting(queue.connection, queue.name, [StartingConsumer("local-consumer-1", "t")], 60)
    try:
        with registered_worker(queue, "local-consumer-12:7"):
            assert queue_snapshot(queue)["starting"] == 1
    finally:
        queue.connection.delete(starting_key(queue.name))


def test_an_unreadable_starting_record_shows_no_starting_consumers(queue):
    """Whatever else sits under the key, the panel still answers (with none starting)."""
    queue.connection.set(starting_key(queue.name), b"not json", ex=60)
    try:
        assert queue_snapshot(queue)["starting"] == 0
    finally:
        queue.connection.delete(starting_key(queue.name))
