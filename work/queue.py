"""The work queue: Redis connection, RQ queue (JSON serializer, never pickle), Redis key names,
and the one enqueue policy of every queued work item (``work.kind.WorkKind.enqueue``).

One RQ job per item (a run, a sweep chunk…; runs on RQ_QUEUE, chunks on SWEEP_QUEUE, each
watched by its own ScaledJob; any consumer executes any kind); the job id IS the item
id (run_id, chunk id), so ``HGETALL rq:job:<run_id>`` finds it. Items are enqueued by
their kind's dotted function name, so the web never imports the job code.
Redis keys (templates from RQ; see docs/queue.md):
``rq:queue:<queue>`` list of waiting ids — the list KEDA measures; ``rq:job:<id>`` hash;
``rq:wip:<queue>`` started registry; ``rq:failed:<queue>`` failed registry.
"""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from config import process
from work.connection import (  # noqa: F401  (re-exported: the queue's one import path)
    DEFAULT_QUEUE,
    DEFAULT_REDIS_URL,
    QUEUE_KEY_PREFIX,
    consumer_queue_name,
    kind_queue_name,
    own_queue_name,
    queue_key,
    queue_name,
    redis_connection,
)

JOB_KEY_PREFIX = Job.redis_job_namespace_prefix  # "rq:job:"


def job_timeout() -> int:
    """RQ_JOB_TIMEOUT (s): a backtest taking longer is killed and failed. Default 900."""
    return process.RQ_JOB_TIMEOUT.value()


def result_ttl() -> int:
    """RQ_RESULT_TTL (s): finished jobs are kept this long; the result lives in MySQL."""
    return process.RQ_RESULT_TTL.value()


def failure_ttl() -> int:
    """RQ_FAILURE_TTL (s): failed jobs stay inspectable this long. Default 7 days."""
    return process.RQ_FAILURE_TTL.value()


def backtest_queue(connection: Redis, name: str | None = None, job_class: type[Job] = Job) -> Queue:
    """An RQ queue of work items (default RQ_QUEUE's), with the JSON serializer."""
    return Queue(
        name or queue_name(), connection=connection, serializer=JSONSerializer, job_class=job_class
    )


DATABASE_UNAVAILABLE = "database_unavailable"
"""``note_failure`` reason: the item's job gave up because the database stayed away (its
outcome is unknown to the database, so the item is queued again, not failed)."""

FAILURE_META = "failure"
"""The RQ job meta field holding ``note_failure``'s reason."""

DB_REQUEUES_META = "db_requeues"
"""The RQ job meta field counting how often the reaper queued an item again after its
consumer gave up on the database (``consumer.reaper``)."""

OUR_META: frozenset[str] = frozenset({FAILURE_META, DB_REQUEUES_META})
"""Every meta field we write on an RQ job: a consumer refuses a job carrying any other
(``consumer.quarantine.problem_of_job``)."""


def note_failure(reason: str) -> None:
    """Record on the RQ job being executed (if any) why it is about to fail, for the consumer
    parent and the reaper (``failure_of``). Best effort: Redis may be away too."""
    from rq import get_current_job

    try:
        job = get_current_job()
        if job is not None:
            job.meta[FAILURE_META] = reason
            job.save_meta()
    except Exception:
        logging.getLogger("work.queue").warning("could not note the failure on the job")


def clear_failure() -> None:
    """Forget a reason an earlier delivery of the RQ job being executed noted: this
    delivery's outcome is its own. Best effort, like ``note_failure``."""
    from rq import get_current_job

    try:
        job = get_current_job()
        if job is not None and job.meta.pop(FAILURE_META, None) is not None:
            job.save_meta()
    except Exception:
        logging.getLogger("work.queue").warning("could not clear the job's failure note")


def failure_of(job: Job) -> str | None:
    """The reason ``note_failure`` recorded on ``job``, if any."""
    meta = job.meta if isinstance(job.meta, dict) else {}
    reason = meta.get(FAILURE_META)
    return reason if isinstance(reason, str) else None


def withdraw(queue: Queue, job_id: str) -> bool:
    """Take a waiting item's message off ``queue``: ``LREM`` its id from the list and delete
    its job hash (``rq:job:<id>``), in one transaction; True if the id was in the list. An
    id a consumer already took is not in the list any more: its Job finds the row no longer
    PENDING and skips it.

    :raise redis.exceptions.RedisError: Redis is unreachable.
    """
    with queue.connection.pipeline() as pipe:
        pipe.lrem(queue.key, 0, job_id)
        pipe.delete(JOB_KEY_PREFIX + job_id)
        removed, _ = pipe.execute()
    return int(removed) > 0


def enqueue_message(
    queue: Queue, function: str, payload: dict, job_id: str, description: str
) -> Job:
    """Push one item's message: the one enqueue policy of every kind. ``unique=True``: an
    id already queued or known is refused (``rq.exceptions.DuplicateJobError``), so an item
    cannot be queued twice. ``Retry(max=1)``: an item whose worker died (abandoned, or its
    work-horse killed) is retried once, then failed."""
    return queue.enqueue(
        function,
        payload,
        job_id=job_id,
        unique=True,
        job_timeout=job_timeout(),
        result_ttl=result_ttl(),
        failure_ttl=failure_ttl(),
        retry=Retry(max=1),
        description=description,
    )


def enqueue_follow_up(spec: dict) -> Job | None:
    """From inside a Job: push the follow-up item ``spec`` names — ``{"function",
    "job_id", "payload", "description"}``, written by the web into an item's stored
    message — on the queue the running job came from. None outside RQ, or when the id is
    already queued or known (``DuplicateJobError``: another delivery queued it first).

    :raise redis.exceptions.RedisError: Redis is unreachable (the reaper queues it later).
    """
    from rq import get_current_job
    from rq.exceptions import DuplicateJobError

    job = get_current_job()
    if job is None:
        return None
    queue = backtest_queue(job.connection, job.origin)
    try:
        return enqueue_message(
            queue, spec["function"], spec["payload"], spec["job_id"], spec["description"]
        )
    except DuplicateJobError:
        return None
