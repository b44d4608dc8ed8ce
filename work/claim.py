"""Claiming a delivery: the one live execution of an item, then the claim file.

**One live delivery per item.** An id can reach several consumers at once: pushed twice on
the list, or pushed again while its job runs. Before it forks, a consumer registers its
execution of the job with RQ (``rq:executions:<id>`` and the queue's started registry, whose
score is the execution's heartbeat deadline) through ``claim_delivery``, which does it only
when no other execution of the same job id is live — its deadline in the started registry
still ahead — and atomically (``WATCH rq:executions:<id>``: of consumers racing for one id,
exactly one registers; the others see it live and skip the delivery before computing
anything, ``DuplicateDelivery``). A retry of an abandoned delivery is never refused: RQ
takes the dead execution out of the started registry in the same transaction that queues
the retry (a killed work-horse, ``Worker.handle_job_failure``), or only after its heartbeat
deadline passed (a dead pod, ``StartedJobRegistry.cleanup``); an item the reaper queues
again has no job left at all. So the database's guarded transition can keep accepting a
RUNNING item (``work.transitions.start_item``): the delivery that reaches it is the only
live one.

**The claim file.** Touched the moment a consumer's work-horse has taken its item. The Job's
readiness probe is ``test -f $CLAIM_FILE``; with KEDA's ``pendingPodConditions: ["Ready"]`` a
pod counts as pending until it has claimed its run, so KEDA does not start a duplicate Job
for a run that is still in the list. The local scaler gives each consumer its own CLAIM_FILE
and reads it the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from config import process

if TYPE_CHECKING:  # pragma: no cover - RQ is loaded by the consumer that claims
    from redis.client import Pipeline
    from rq.job import Job

DEFAULT_CLAIM_FILE = process.CLAIM_FILE.default

CLAIM_TRIES = 5
"""Times ``claim_delivery`` looks again when the job's executions changed under it."""


class DuplicateDelivery(Exception):
    """Another delivery of the same job id is live: this one must not run it."""

    def __init__(self, live: list[str]) -> None:
        super().__init__(f"another delivery is live ({', '.join(live) or 'racing'})")
        self.live = live


def live_executions(job: Job, connection=None) -> list[str]:
    """The ids of ``job``'s executions RQ still counts as alive: registered in its queue's
    started registry with a heartbeat deadline ahead (``connection``: a watching pipeline,
    default the job's connection)."""
    from rq.executions import ExecutionRegistry

    connection = connection if connection is not None else job.connection
    ids = [
        _text(item)
        for item in connection.zrange(ExecutionRegistry.key_template.format(job.id), 0, -1)
    ]
    started = job.started_job_registry.key
    deadlines = [connection.zscore(started, f"{job.id}:{execution}") for execution in ids]
    now = time.time()
    return [e for e, deadline in zip(ids, deadlines, strict=True) if deadline and deadline > now]


def claim_delivery(job: Job, register: Callable[[Pipeline], object]) -> None:
    """Register this delivery's execution of ``job`` (``register`` queues RQ's commands on
    the pipeline) if and only if no other execution of it is live, atomically.

    :raise DuplicateDelivery: another execution is live (or kept changing, ``CLAIM_TRIES``
        times: another consumer is registering it right now).
    """
    from redis.exceptions import WatchError
    from rq.executions import ExecutionRegistry

    key = ExecutionRegistry.key_template.format(job.id)
    for _ in range(CLAIM_TRIES):
        with job.connection.pipeline() as pipe:
            try:
                pipe.watch(key)
                live = live_executions(job, pipe)
                if live:
                    raise DuplicateDelivery(live)
                pipe.multi()
                register(pipe)
                pipe.execute()
                return
            except WatchError:
                continue
    raise DuplicateDelivery([])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def claim_file() -> Path:
    """CLAIM_FILE, default /tmp/consumer-claimed."""
    return Path(process.CLAIM_FILE.value())


def mark_claimed() -> None:
    """Touch the claim file (its directory must exist; /tmp does in every image)."""
    claim_file().touch()
