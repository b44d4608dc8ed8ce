"""The queues as the web tier sees them: one Redis client per app, and its RQ queues of runs
(RQ_QUEUE) and of sweep chunks (SWEEP_QUEUE).

The client connects lazily, so the app starts (and /health answers) while Redis is down;
the first command that needs Redis raises ``redis.exceptions.RedisError`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from rq import Queue

from work.queue import backtest_queue, redis_connection

EXTENSION = "web.queue"
"""Key of this app's ``RunQueue`` in ``app.extensions``."""


@dataclass(frozen=True)
class RunQueue:
    """An app's Redis client and the RQ queues that use it: runs and sweep chunks."""

    redis: Redis
    queue: Queue
    sweeps: Queue


def get_run_queue(app: Flask | None = None) -> RunQueue:
    """The app's ``RunQueue`` (``current_app`` when ``app`` is None)."""
    return (app or current_app).extensions[EXTENSION]


def init_app(app: Flask) -> None:
    """Give ``app`` its Redis client (REDIS_URL) and queues (RQ_QUEUE, SWEEP_QUEUE)."""
    client = redis_connection(app.config["REDIS_URL"])
    app.extensions[EXTENSION] = RunQueue(
        client,
        backtest_queue(client, app.config["RQ_QUEUE"]),
        backtest_queue(client, app.config["SWEEP_QUEUE"]),
    )
