"""work.connection: the queue's name and Redis key without RQ, agreeing with RQ's own."""

from __future__ import annotations

from redis import Redis
from rq import Queue

from tests.fresh import loaded_by
from work.connection import QUEUE_KEY_PREFIX, queue_key


def test_the_queue_key_is_the_list_rq_pushes_to(monkeypatch):
    monkeypatch.setenv("RQ_QUEUE", "alpha")
    assert Queue.redis_queue_namespace_prefix == QUEUE_KEY_PREFIX
    unconnected = Redis()  # never used: RQ only builds the key
    assert queue_key() == Queue("alpha", connection=unconnected).key == "rq:queue:alpha"
    assert queue_key("beta") == "rq:queue:beta"


def test_the_module_imports_no_rq():
    """It is what an idle Job loads: the redis client only."""
    assert loaded_by("import work.connection", ["rq"]) == []
