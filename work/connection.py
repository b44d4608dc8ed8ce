"""Where the queues live, without importing RQ: REDIS_URL's client, the queues' names (the
shared queue RQ_QUEUE; a kind's own, ``kind_queue_name``; the one a consumer Job pops:
CONSUMER_QUEUE) and the Redis list KEDA measures (``rq:queue:<name>``).

A kind declares whether its items share RQ_QUEUE or have a queue of their own
(``WorkKind.queue``), each queue with its ScaledJob (keda/), so a single item of one kind
never waits behind the thousands of another (a sweep's chunks). A consumer executes any
registered kind it pops, so items queued on the shared queue before their kind had its own
are still taken there.

A Job checks that list before it loads the worker (``consumer.idle``), so this module stays
as light as the redis client itself; ``work.queue`` re-exports it next to the RQ queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from redis import Redis

from config import process

if TYPE_CHECKING:  # pragma: no cover
    from work.kind import WorkKind

QUEUE_KEY_PREFIX = "rq:queue:"
"""RQ's ``Queue.redis_queue_namespace_prefix`` (a test keeps the two equal)."""

DEFAULT_REDIS_URL = process.REDIS_URL.default

DEFAULT_QUEUE = process.RQ_QUEUE.default
"""The queue work goes to unless RQ_QUEUE says otherwise (web and consumer must agree)."""


def queue_name() -> str:
    """RQ_QUEUE, default "backtests"."""
    return process.RQ_QUEUE.value()


def kind_queue_name(kind: WorkKind | None, environ: Mapping[str, Any] | None = None) -> str:
    """The queue a kind's items go to: RQ_QUEUE for a kind on the shared queue (and for
    None); for a kind with a queue of its own (``WorkKind.queue``, e.g. ``"sweeps"``), the
    variable ``WorkKind.queue_env`` names it (default ``<QUEUE>_QUEUE``), else RQ_QUEUE
    + ``-<queue>``, e.g. ``backtests-sweeps``. Read from ``environ`` (the web passes its
    config) or, by default, the process environment."""
    shared = process.RQ_QUEUE.value(environ)
    if kind is None or kind.queue is None:
        return shared
    return process.named(kind.queue_variable or "", environ) or own_queue_name(shared, kind.queue)


def own_queue_name(shared: str, suffix: str) -> str:
    """The name of a kind's own queue beside the shared queue ``shared``:
    ``backtests`` + ``sweeps`` → ``backtests-sweeps``."""
    return f"{shared}-{suffix}"


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
