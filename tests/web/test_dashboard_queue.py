"""Tests for web/api/queue_snapshot.py against the real test Redis: counts from RQ's queue and
registries, and the consumers from RQ's worker registry (JSON serializer)."""

from __future__ import annotations

import uuid

import pytest
from redis import Redis
from rq import Worker
from rq.executions import Execution

from runs.kind import enqueue_run
from tests.web.support_dashboard import make_request
from web.api.queue_snapshot import queue_snapshot
from work.queue import backtest_queue

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
