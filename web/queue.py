"""The queues as the web tier sees them: one Redis client per app, the shared RQ queue
(RQ_QUEUE) and the queue of each registered kind that has its own (``WorkKind.queue``,
named as ``work.connection.kind_queue_name`` names it: its variable, e.g. SWEEP_QUEUE, else
RQ_QUEUE + ``-<queue>``).

The client connects lazily, so the app starts (and /health answers) while Redis is down;
the first command that needs Redis raises ``redis.exceptions.RedisError`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app
from redis import Redis
from rq import Queue

from kinds.registry import all_kinds
from work.queue import backtest_queue, kind_queue_name, redis_connection

if TYPE_CHECKING:  # pragma: no cover
    from work.kind import WorkKind

EXTENSION = "web.queue"
"""Key of this app's ``RunQueue`` in ``app.extensions``."""


@dataclass(frozen=True)
class RunQueue:
    """An app's Redis client and the RQ queues that use it: the shared one and each kind's
    own (by ``WorkKind.queue``, e.g. ``"sweeps"``)."""

    redis: Redis
    queue: Queue
    own: Mapping[str, Queue]

    def of(self, kind: WorkKind) -> Queue:
        """The queue ``kind``'s items go to."""
        return self.queue if kind.queue is None else self.own[kind.queue]


def get_run_queue(app: Flask | None = None) -> RunQueue:
    """The app's ``RunQueue`` (``current_app`` when ``app`` is None)."""
    return (app or current_app).extensions[EXTENSION]


def init_app(app: Flask) -> None:
    """Give ``app`` its Redis client (REDIS_URL) and queues (RQ_QUEUE and each kind's own)."""
    client = redis_connection(app.config["REDIS_URL"])
    app.extensions[EXTENSION] = RunQueue(
        client,
        backtest_queue(client, app.config["RQ_QUEUE"]),
        {
            kind.queue: backtest_queue(client, kind_queue_name(kind, app.config))
            for kind in all_kinds()
            if kind.queue is not None
        },
    )
