"""Where the queue lives, without importing RQ: REDIS_URL's client, the queue's name
(RQ_QUEUE) and the Redis list KEDA measures (``rq:queue:<name>``).

A Job checks that list before it loads the worker (``consumer.idle``), so this module stays
as light as the redis client itself; ``work.queue`` re-exports it next to the RQ queue.
"""

from __future__ import annotations

import os

from redis import Redis

QUEUE_KEY_PREFIX = "rq:queue:"
"""RQ's ``Queue.redis_queue_namespace_prefix`` (a test keeps the two equal)."""

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

DEFAULT_QUEUE = "backtests"
"""The queue work goes to unless RQ_QUEUE says otherwise (web and consumer must agree)."""


def queue_name() -> str:
    """RQ_QUEUE, default "backtests"."""
    return os.environ.get("RQ_QUEUE") or DEFAULT_QUEUE


def queue_key(name: str | None = None) -> str:
    """The Redis list of waiting run ids, e.g. ``rq:queue:backtests``."""
    return QUEUE_KEY_PREFIX + (name or queue_name())


def redis_connection(url: str | None = None) -> Redis:
    """A client for REDIS_URL (redis://, rediss:// or unix:// for the embedded server)."""
    return Redis.from_url(
        url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        socket_connect_timeout=3,
        socket_timeout=10,
        health_check_interval=30,
    )
