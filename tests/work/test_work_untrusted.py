"""Tests for work/untrusted.py: a job hash is read as the queue's JSON and nothing else,
whatever serializer the caller passes, and what cannot be read is named."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import DefaultSerializer

from tests.pickle_trap import CALLS, armed, pickled
from work.untrusted import (
    JSONOnlyJob,
    NotQueueJSON,
    QueueJSONSerializer,
    data_problem,
    meta_problem,
    text_problem,
    unlist,
)


@pytest.fixture(autouse=True)
def nothing_loaded():
    """``CALLS`` empty around each test (and the pickle really records when loaded)."""
    armed()
    yield
    CALLS.clear()


def test_the_strict_serializer_reads_json_and_names_a_pickle():
    """JSON round-trips; a pickle is refused as a pickle without being loaded; other bytes
    as not JSON."""
    assert QueueJSONSerializer.loads(QueueJSONSerializer.dumps({"a": [1]})) == {"a": [1]}
    with pytest.raises(NotQueueJSON, match="a pickle"):
        QueueJSONSerializer.loads(pickled("meta"))
    with pytest.raises(NotQueueJSON, match="not JSON"):
        QueueJSONSerializer.loads(b"\xff\xfe")
    assert CALLS == []


@pytest.fixture
def connection(redis_url: str) -> Iterator[Redis]:
    """A client of the test Redis (flushed around each test by ``redis_url``)."""
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.mark.redis
def test_a_json_only_job_ignores_the_serializer_a_caller_passes(connection):
    """``JSONOnlyJob.fetch`` with pickle named, or with none (RQ's default is pickle), still
    reads JSON: a pickled meta is refused, not loaded."""
    key = Job.key_for("hostile")
    connection.hset(key, mapping={"data": b"[]", "meta": pickled("meta")})
    for serializer in (None, DefaultSerializer, "pickle"):
        job = JSONOnlyJob.fetch("hostile", connection=connection, serializer=serializer)
        assert job.serializer is QueueJSONSerializer
        assert "a pickle" in meta_problem(job, connection.hgetall(key))
    assert CALLS == []


@pytest.mark.redis
def test_the_problems_name_the_part_that_cannot_be_read(connection):
    """Data that is a pickle (compressed or not), meta that is not JSON and a text field
    that is not UTF-8 are each named; a hash we wrote has none."""
    job = JSONOnlyJob("one", connection=connection)
    raw = {
        b"data": zlib.compress(pickled("data")),
        b"meta": b"\xff",
        b"exc_info": zlib.compress(b"\xff\xfe"),
    }
    job.restore({k: v for k, v in raw.items() if k != b"exc_info"})
    assert "job data cannot be deserialised (NotQueueJSON: a pickle" in data_problem(job)
    assert "job meta cannot be deserialised" in meta_problem(job, raw)
    assert text_problem(raw) == "job field exc_info is not UTF-8 text"
    ours = {b"data": QueueJSONSerializer.dumps(["f", None, [{}], {}]), b"meta": b"{}"}
    job.restore(ours)
    assert (data_problem(job), meta_problem(job, ours), text_problem(ours)) == (None, None, None)
    assert CALLS == []


@pytest.mark.redis
def test_unlist_takes_an_id_out_of_the_queue_and_every_registry(connection):
    """``unlist`` removes the id from the queue's list and its registries, nothing else."""
    queue = Queue("q", connection=connection)
    connection.rpush(queue.key, "a", "b")
    FailedJobRegistry(queue=queue).add(Job.create(json.dumps, id="a", connection=connection))
    with connection.pipeline() as pipe:
        unlist(pipe, queue, "a", "a")
        pipe.execute()
    assert queue.get_job_ids() == ["b"]
    assert FailedJobRegistry(queue=queue).get_job_ids() == []
