"""Where the queues live, without importing RQ: REDIS_URL's client, the queues' names (runs:
RQ_QUEUE; sweep chunks: SWEEP_QUEUE; the one a consumer Job pops: CONSUMER_QUEUE) and the Redis
list KEDA measures (``rq:queue:<name>``).

Runs and sweep chunks have a queue each, and a ScaledJob each (keda/), so a single run never
waits behind the up to 2,000 chunks of a sweep. A consumer executes any registered kind it
pops, so chunks queued on the runs' queue before the split are still taken there.

A Job checks that list before it loads the worker (``consumer.idle``), so this module stays
as light as the redis client itself; ``work.queue`` re-exports it next to the RQ queue.
"""

from __future__ import annotations

from redis import Redis

from config import process

QUEUE_KEY_PREFIX = "rq:queue:"
"""RQ's ``Queue.redis_queue_namespace_prefix`` (a test keeps the two equal)."""

DEFAULT_REDIS_URL = process.REDIS_URL.default

DEFAULT_QUEUE = process.RQ_QUEUE.default
"""The queue work goes to unless RQ_QUEUE says otherwise (web and consumer must agree)."""


def queue_name() -> str:
    """RQ_QUEUE, default "backtests"."""
    return process.RQ_QUEUE.value()


SWEEP_QUEUE_SUFFIX = "-sweeps"
"""The sweep queue's name unless SWEEP_QUEUE says: the runs' queue + this."""


def default_sweep_queue(runs_queue: str) -> str:
    """The sweep queue that goes with ``runs_queue``, e.g. ``backtests-sweeps``."""
    return runs_queue + SWEEP_QUEUE_SUFFIX


def sweep_queue_name() -> str:
    """SWEEP_QUEUE, default RQ_QUEUE + "-sweeps"."""
    return process.SWEEP_QUEUE.value() or default_sweep_queue(queue_name())


def consumer_queue_name() -> str:
    """CONSUMER_QUEUE: the one queue this consumer Job pops (its ScaledJob's list); default
    RQ_QUEUE. One queue per worker keeps RQ's reliable LMOVE dequeue."""
    return process.CONSUMER_QUEUE.value() or queue_name()


def queue_key(name: str | None = None) -> str:
    """The Redis list of waiting run ids, e.g. ``rq:queue:backtests``."""
    return QUEUE_KEY_PREFIX + (name or queue_name())


def redis_connection(url: str | None = None) -> Redis:
    """A client for REDIS_URL (redis://, rediss:// or unix:// for the embedded server)."""
    return Redis.from_url(
        url or process.REDIS_URL.value(),
        socket_connect_timeout=3,
        socket_timeout=10,
        health_check_interval=30,
    )
