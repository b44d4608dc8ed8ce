"""RQ's registry maintenance for one queue, made safe to run next to hostile entries.

RQ's own ``Worker.clean_registries`` takes the queue's maintenance lock and releases it only
when every step succeeds: one entry RQ cannot read made each cleanup raise and left the lock
held for 899 s. Here the bad entries are quarantined first (``consumer.quarantine``), every
step runs on its own (one failing is logged, the others still run) and the lock is always
released. The consumer (``consumer.worker.OneShotWorker``) and the reaper both use it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from rq import Queue, Worker
from rq.registry import clean_registries
from rq.worker_registration import clean_worker_registry

from consumer.quarantine import quarantine_bad_entries

logger = logging.getLogger("consumer.maintenance")


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
    ids stranded in the intermediate list handled), under RQ's maintenance lock.

    :param handler: the worker whose failure handling the intermediate cleanup uses (a
        plain worker that never dequeues when None).
    :param whole_queue: also scan the queue list for bad entries (the reaper does; a
        consumer checks only the entry it takes).
    :param quarantined: called with the entries the scan moved aside, if any (the consumer
        queues the items they name again).
    :return: False if another process holds the lock (nothing done), True otherwise — also
        when a step failed (it is logged; the lock is released all the same).
    """
    if not queue.acquire_maintenance_lock():
        return False
    try:
        for name, step in _steps(queue, handler, whole_queue, quarantined):
            try:
                step()
            except Exception:
                logger.exception("queue maintenance step %r failed; going on", name)
    finally:
        queue.release_maintenance_lock()
    return True
