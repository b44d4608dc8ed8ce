"""Consumers that are starting: launched by the local scaler, not yet registered with RQ.

A consumer registers as an RQ worker only after its interpreter has imported the worker
(about a second), so RQ's worker list alone shows "0 consumers" while they start. The
local scaler (``consumer.scaler``) therefore writes the consumers it launched that have
not claimed a run yet into one Redis key each poll — ``consumers:starting:<queue>``, a JSON
list of ``{"name", "started_at"}``, with one ``SET … EX`` — and the queue panel
(``web.api.queue_snapshot``) counts those with no RQ worker of that name as starting.
The consumer itself writes nothing (its start-up cost is benchmarked): a name is a pod's
HOSTNAME and RQ's worker name is ``<HOSTNAME>:<pid>`` (``work.lifecycle.worker_name``).
The key expires when the scaler stops refreshing it. On Kubernetes nothing writes it: KEDA's
pods are invisible to the web until their consumer registers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from redis import Redis

STARTING_KEY_PREFIX = "consumers:starting:"
"""``consumers:starting:<queue>``: the JSON list a scaler of that queue last wrote."""


@dataclass(frozen=True)
class StartingConsumer:
    """A consumer launched at ``started_at`` (ISO-8601 UTC) as pod/host ``name``."""

    name: str
    started_at: str

    def registered_in(self, worker_names: Iterable[str]) -> bool:
        """True once RQ lists a worker of this consumer (``<name>:<pid>``)."""
        return any(worker.startswith(f"{self.name}:") for worker in worker_names)


def starting_key(queue: str) -> str:
    """The Redis key of ``queue``'s starting consumers."""
    return STARTING_KEY_PREFIX + queue


def record_starting(
    connection: Redis, queue: str, consumers: Iterable[StartingConsumer], ttl: int
) -> None:
    """Replace ``queue``'s starting consumers (one command; gone after ``ttl`` seconds
    unless written again)."""
    body = json.dumps([asdict(consumer) for consumer in consumers], separators=(",", ":"))
    connection.set(starting_key(queue), body, ex=max(1, int(ttl)))


def read_starting(connection: Redis, queue: str) -> list[StartingConsumer]:
    """``queue``'s starting consumers as last recorded; [] when none (or unreadable: the
    panel then shows registered workers only).

    :raise redis.exceptions.RedisError: when Redis cannot be reached.
    """
    raw = connection.get(starting_key(queue))
    try:
        items = json.loads(raw) if raw else []
        return [StartingConsumer(str(item["name"]), str(item["started_at"])) for item in items]
    except (ValueError, TypeError, KeyError):
        return []
