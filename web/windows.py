"""Fixed-window counters in the web's Redis, shared by every web replica: the submission
rate limit (``web.ratelimit``) and the throttle of failed token checks (``web.auth``).

A counter is one key per client and window (``<prefix><client>:<window s>:<window
number>``), INCR'd and expiring with its window. Redis errors are the caller's to handle
(both callers fail open).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import request

from web.queue import get_run_queue


@dataclass(frozen=True)
class Count:
    """One client's counter in the current window after counting a request."""

    key: str
    """The counter's Redis key (to take the request back: ``uncount``)."""
    window: int
    """The window's length in seconds."""
    used: int
    """Requests counted in this window, this one included."""
    retry_after: int
    """Whole seconds (1 or more) until the next window starts."""


def client_address() -> str:
    """The client part of a key for the request's address (``addr:<address>``; behind a
    proxy the client's only when PROXY_FIX_HOPS is set)."""
    return f"addr:{request.remote_addr or '-'}"


def _key(prefix: str, client: str, window: int, now: float) -> str:
    return f"{prefix}{client}:{window}:{int(now // window)}"


def count(prefix: str, client: str, window: int) -> Count:
    """Count one request of ``client`` in its current window of ``window`` seconds.

    :raise redis.exceptions.RedisError: Redis cannot be reached.
    """
    now = time.time()
    slot = int(now // window)
    key = _key(prefix, client, window, now)
    pipeline = get_run_queue().redis.pipeline()
    pipeline.incr(key)
    pipeline.expire(key, window + 1)
    used = pipeline.execute()[0]
    return Count(key, window, used, max(1, math.ceil((slot + 1) * window - now)))


def counted_so_far(prefix: str, client: str, window: int) -> int:
    """The requests of ``client`` counted in its current window of ``window`` seconds (none
    counted by this call).

    :raise redis.exceptions.RedisError: Redis cannot be reached.
    """
    return int(get_run_queue().redis.get(_key(prefix, client, window, time.time())) or 0)


def uncount(counted: Count) -> None:
    """Take back a request ``count`` counted (it turned out not to matter).

    :raise redis.exceptions.RedisError: Redis cannot be reached.
    """
    pipeline = get_run_queue().redis.pipeline()
    pipeline.decr(counted.key)
    pipeline.expire(counted.key, counted.window + 1)  # never a key without expiry, even if
    pipeline.execute()  # the window's key expired meanwhile
