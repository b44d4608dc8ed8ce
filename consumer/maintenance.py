"""RQ's registry maintenance for one queue, made safe to run next to hostile entries.

RQ's own ``Worker.clean_registries`` takes the queue's maintenance lock and releases it only
when every step succeeds: one entry RQ cannot read made each cleanup raise and left the lock
held for 899 s. Here the bad entries are quarantined first (``consumer.quarantine``), every
step runs on its own (one failing is logged, the others still run) and the lock is always
released. The lock (RQ's key, ``rq:clean_registries:<queue>``) is taken for
``MAINTENANCE_LOCK_TTL`` seconds, not RQ's 899: a process killed while holding it (a consumer
at its start-up cleanup) delays the next cleanup — and the ids it would rescue from the
intermediate list — by at most that long; a lock found with a longer life (RQ's own
acquisition) is cut to it. The consumer (``consumer.worker.OneShotWorker``) and the reaper
both use it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from rq import Queue, Worker
from rq.registry import clean_registries
from rq.worker_registration import clean_worker_registry

from consumer.quarantine import quarantine_bad_entries

logger = logging.getLogger("consumer.maintenance")

MAINTENANCE_LOCK_TTL = 60
"""Seconds the queue's maintenance lock lives (a pass takes well under a second; RQ's own
lock lives 899 s, which a killed holder made a 15-minute stall of every cleanup)."""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""Delete the lock only if it is still this holder's (it may have expired and been taken)."""


def acquire_maintenance_lock(queue: Queue) -> str | None:
    """Take the queue's maintenance lock for ``MAINTENANCE_LOCK_TTL`` seconds; the holder's
    token, or None if another process holds it (a lock it took with a longer life than ours
    is cut to ours, so it stalls no cleanup longer)."""
    connection, key, token = queue.connection, queue.registry_cleaning_key, uuid.uuid4().hex
    if connection.set(key, token, nx=True, ex=MAINTENANCE_LOCK_TTL):
        return token
    if connection.ttl(key) > MAINTENANCE_LOCK_TTL:
        connection.expire(key, MAINTENANCE_LOCK_TTL)
    return None


def release_maintenance_lock(queue: Queue, token: str) -> None:
    """Release the lock if it is still the one ``token`` names."""
    queue.connection.eval(_RELEASE, 1, queue.registry_cleaning_key, token)


def _steps(
    queue: Queue,
    handler: Worker | None,
    whole_queue: bool,
    quarantined: Callable[[list[str]], object] | None,
) -> list[tuple[str, Callable[[], object]]]:
    worker = handler or Worker([queue], connection=queue.connection, serializer=queue.serializer)

    def scan() -> None:
        moved = quarantine_bad_entries(queue, whole_queue=whole_queue)
        if moved and quarantined is not None:
            quarantined(moved)

    return [
        ("quarantine", scan),
        ("registries", lambda: clean_registries(queue)),
        ("worker registry", lambda: clean_worker_registry(queue)),
        ("intermediate list", lambda: queue.intermediate_queue.cleanup(worker, queue)),
    ]


def clean_queue_registries(
    queue: Queue,
    handler: Worker | None = None,
    *,
    whole_queue: bool = True,
    quarantined: Callable[[list[str]], object] | None = None,
) -> bool:
    """Quarantine bad entries, then RQ's registry cleanup (abandoned jobs retried or failed,
    ids stranded in the intermediate list handled), under the queue's maintenance lock
    (``acquire_maintenance_lock``).

    :param handler: the worker whose failure handling the intermediate cleanup uses (a
        plain worker that never dequeues when None).
    :param whole_queue: also scan the queue list for bad entries (the reaper does; a
        consumer checks only the entry it takes).
    :param quarantined: called with the entries the scan moved aside, if any (the consumer
        queues the items they name again).
    :return: False if another process holds the lock (nothing done), True otherwise — also
        when a step failed (it is logged; the lock is released all the same).
    """
    token = acquire_maintenance_lock(queue)
    if token is None:
        return False
    try:
        for name, step in _steps(queue, handler, whole_queue, quarantined):
            try:
                step()
            except Exception:
                logger.exception("queue maintenance step %r failed; going on", name)
    finally:
        release_maintenance_lock(queue, token)
    return True
