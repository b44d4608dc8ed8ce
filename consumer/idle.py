"""The check a Job makes before it loads the worker: is anything queued at all?

KEDA over-starts Jobs now and then (a poll sees runs that another Job takes first), and
such a Job must cost next to nothing. ``nothing_queued`` reads the length of the queue's
list with the redis client alone, before RQ, SQLAlchemy, numpy and the kinds are imported
(about 0.8 CPU-s of the 1.0 an empty-queue Job used to cost; ``bench.job_cost_bench``).

An empty list skips the worker's start-up housekeeping too (RQ's registry maintenance).
Nothing depends on it: every Job that finds work does it, and the reaper reconciles the
registries every two minutes whether or not a Job runs.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError

from work.connection import consumer_queue_name, queue_key

logger = logging.getLogger("consumer.worker")


def nothing_queued(connection: Redis) -> bool:
    """True (and logged) when the list of the queue this Job pops (CONSUMER_QUEUE) is empty.
    A Redis error answers False: the worker then meets the outage itself and reports it as it
    always has (exit 1). The worker goes on with the same ``connection`` (one client per
    Job)."""
    started = time.perf_counter()
    try:
        waiting = connection.llen(queue_key(consumer_queue_name()))
    except RedisError:
        return False
    if waiting:
        return False
    logger.info("queue empty; exiting after %.0f ms", (time.perf_counter() - started) * 1000)
    return True
