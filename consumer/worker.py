"""``python -m consumer``: one process = one Kubernetes Job = at most one queued message.

Takes at most one message — an item of any registered kind (``consumer.kinds``: a run, a
chunk of a parameter sweep…) — with RQ's forking
``Worker`` (burst, max_jobs=1): it executes in a forked work-horse, so if that is killed
(out of memory) the parent sees it at once and RQ retries the message once. Exit codes: 0
when the queue was empty (KEDA can over-start Jobs) or the outcome was recorded — a FAILED
backtest included, since Kubernetes must not restart the pod (it would pop a different
message); 1 only when the outcome could not be recorded anywhere. When the work-horse
died, the job's registered kind records it FAILED (``WorkKind.mark_failed``).
"""

from __future__ import annotations

import logging
import os
import time

from redis.exceptions import RedisError
from rq import Worker
from rq.job import Job, JobStatus

from consumer.kinds import kind_of
from store.db import process_sessionmaker
from work.lifecycle import worker_name
from work.logs import run_context
from work.queue import backtest_queue, redis_connection

logger = logging.getLogger("consumer.worker")

CRASHED = "the run's process died before it finished (out of memory or killed); retried once"


def monitoring_interval() -> int:
    """RQ_JOB_MONITORING_INTERVAL (s, default 10): how often the parent heartbeats while the
    work-horse runs. A pod that dies is detected as abandoned ~this + 60 s later."""
    return int(os.environ.get("RQ_JOB_MONITORING_INTERVAL") or 10)


class OneShotWorker(Worker):
    """RQ's forking worker that remembers the job it executed (in the parent process)."""

    last_job: Job | None = None

    def execute_job(self, job: Job, queue) -> None:
        self.last_job = job
        with run_context(job.id):
            super().execute_job(job, queue)


def _outcome_recorded(job: Job) -> bool:
    """After the work-horse ended: is the outcome in the database (or a retry queued)?"""
    try:
        status = job.get_status(refresh=True)
    except Exception:  # the hash expired already: finished with result_ttl 0
        return True
    if status == JobStatus.FINISHED:
        return True
    if status in (JobStatus.QUEUED, JobStatus.SCHEDULED):
        logger.warning("run did not finish; RQ queued its retry")
        return True
    kind = kind_of(job.func_name)
    if kind is None:
        logger.error("job ended as %s in RQ; %s is no registered kind", status, job.func_name)
        return True
    logger.error("job ended as %s in RQ; recording the %s FAILED", status, kind.name)
    try:
        with process_sessionmaker().begin() as session:
            kind.mark_failed(session, job.id, CRASHED)
    except Exception:
        logger.exception("could not record the failure")
        return False
    return True


def consume_one() -> int:
    """Take and run at most one queued run; return the process exit code."""
    started = time.perf_counter()
    try:
        connection = redis_connection()
        queue = backtest_queue(connection)
        worker = OneShotWorker(
            [queue],
            connection=connection,
            serializer=queue.serializer,
            name=worker_name(),
            job_monitoring_interval=monitoring_interval(),
        )
        worked = worker.work(burst=True, max_jobs=1, logging_level="WARNING")
    except RedisError:
        logger.exception("queue unavailable")
        return 1
    job = worker.last_job
    if not worked or job is None:
        logger.info("queue empty; exiting after %.0f ms", (time.perf_counter() - started) * 1000)
        return 0
    with run_context(job.id):
        ok = _outcome_recorded(job)
        logger.info("consumer done in %.0f ms", (time.perf_counter() - started) * 1000)
    return 0 if ok else 1
