"""``python -m consumer``: one process = one Kubernetes Job = at most one queued message.

Takes at most one message — an item of any registered kind (``kinds.registry``: a run, a
chunk of a parameter sweep…) — with RQ's forking
``Worker`` (burst, max_jobs=1): it executes in a forked work-horse, so if that is killed
(out of memory) the parent sees it at once and RQ retries the message once. Exit codes: 0
when the queue was empty (KEDA can over-start Jobs), an entry was quarantined, or the outcome
was recorded — a FAILED backtest included, since Kubernetes must not restart the pod (it
would pop a different message); 1 only when the outcome could not be recorded anywhere. When
the work-horse died, the job's registered kind records it FAILED (``WorkKind.mark_failed``).

The queue is a trust boundary: an entry RQ cannot read (a bad id, a corrupt job hash, data
that is not JSON, a function we never registered) or carrying anything we never write
(callbacks, dependencies, webhooks, meta we do not set, a payload other than one object
naming the job's own id) is quarantined (``consumer.quarantine``) instead of executed or
allowed to crash the consumer — before RQ resolves a single name of it, and the job class
resolves none anyway (``RegisteredJob``) — and registry maintenance never holds RQ's lock
after a failure (``consumer.maintenance``). When it quarantines an entry whose id names a
PENDING or RUNNING item of a registered kind, the consumer queues that item again from the
database at once (``consumer.quarantine.requeue_named_item``), not after the reaper's grace.
A delivery of an id another consumer is executing (status started, or a live execution:
``work.claim.claim_delivery``) is skipped before anything is computed.

While the work-horse computes, the parent beats every RQ_JOB_MONITORING_INTERVAL: to the
database first (``consumer.liveness.beat``: the liveness the reaper trusts), then RQ's own
heartbeats to Redis; a Redis that is away or restarting costs a beat, never the consumer (a
parent that died would stop the database beat of a work-horse still computing).
"""

from __future__ import annotations

import logging
import time
from functools import partial

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.utils import now
from rq.worker import WorkerStatus

from consumer.liveness import beat, heartbeat_margin, monitoring_interval
from consumer.maintenance import clean_queue_registries
from consumer.quarantine import problem_of_job, quarantine, requeue_named_item
from kinds.registry import kind_of
from store.dbapi import process_database
from work.claim import DuplicateDelivery, claim_delivery
from work.lifecycle import run_item, worker_name
from work.logs import run_context
from work.queue import (
    DATABASE_UNAVAILABLE,
    backtest_queue,
    consumer_queue_name,
    failure_of,
    redis_connection,
)
from work.retry import retry_transaction
from work.untrusted import InertJob

logger = logging.getLogger("consumer.worker")

CRASHED = "the run's process died before it finished (out of memory or killed); retried once"

MAX_QUARANTINED_PER_DEQUEUE = 100
"""Bad entries one consumer moves aside before it gives up looking for a good one."""


class RegisteredJob(InertJob):
    """An RQ job whose function is looked up in the registry of kinds (``kinds.registry``),
    never imported by its dotted name: a queued name means only what we registered, and a
    kind's package can move without breaking the messages already queued. No other name its
    hash holds is resolved (``InertJob``: no callback, webhook or dependency)."""

    @property
    def func(self):
        kind = kind_of(self.func_name)
        return None if kind is None else partial(run_item, kind)


class OneShotWorker(Worker):
    """RQ's forking worker that remembers the job it executed (in the parent process),
    quarantines what it cannot execute, and cleans registries without ever raising."""

    last_job: Job | None = None
    quarantined: str | None = None
    duplicate: str | None = None

    def clean_registries(self) -> None:
        for queue in self.queues:
            clean_queue_registries(
                queue, handler=self, whole_queue=False, quarantined=partial(_requeue_all, queue)
            )
        self.last_cleaned_at = now()

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        for _ in range(MAX_QUARANTINED_PER_DEQUEUE):
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except (RedisError, SystemExit):
                raise
            except Exception as exc:  # RQ attaches the id of the entry it could not fetch
                entry = getattr(exc, "job_id", None)
                queue = getattr(exc, "queue", None)
                if entry is None or queue is None:
                    raise
                self._refuse(queue, entry, f"{type(exc).__name__}: {str(exc)[:200]}")
        return None

    def _refuse(self, queue, entry: str, reason: str) -> None:
        """Quarantine an entry taken from the intermediate list, and queue again at once the
        item its id names, if one waits."""
        quarantine(queue, entry, reason, queue.intermediate_queue_key)
        self.quarantined = entry
        requeue_named_item(queue, entry)

    def execute_job(self, job: Job, queue) -> None:
        with run_context(job.id):
            problem = problem_of_job(job)
            if problem is not None:
                self._refuse(queue, job.id, problem)
                return
            if job.get_status(refresh=False) == JobStatus.STARTED:
                # Its id was pushed again while another consumer runs it (RQ's own retries
                # come back QUEUED): running it twice at once would only waste a Job.
                self._skip_duplicate(queue, job, "duplicate delivery of a job being executed")
                return
            try:
                claim_delivery(job, partial(self._register_execution, job))
            except DuplicateDelivery as exc:
                self._skip_duplicate(queue, job, f"duplicate delivery: {exc}")
                return
            self.last_job = job
            super().execute_job(job, queue)

    def maintain_heartbeats(self, job: Job) -> None:
        """The database heartbeat of the item the work-horse runs, then RQ's heartbeats; a
        Redis error is logged (the next beat tries again), not raised."""
        kind = kind_of(job.func_name)
        if kind is not None:
            beat(kind, job.id, worker_name(self.horse_pid))
        try:
            super().maintain_heartbeats(job)
        except RedisError:
            logger.warning("could not write RQ's heartbeats; next beat", exc_info=True)

    def get_heartbeat_ttl(self, job: Job) -> int:
        """Seconds until the job's started-registry entry expires unless the next beat renews
        it: RQ's (the time to the next beat, or to the job's timeout if sooner) with
        RQ_HEARTBEAT_MARGIN on top instead of RQ's fixed 60 s (``heartbeat_margin``)."""
        until_next_beat = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            until_next_beat = min(job.timeout - self.current_job_working_time, until_next_beat)
        return int(until_next_beat) + heartbeat_margin()

    def set_current_job_working_time(self, current_job_working_time: float, pipeline=None):
        """RQ's note of the work-horse's time so far, written before each beat; a Redis
        error is logged, not raised (it would end the parent and its beats)."""
        try:
            super().set_current_job_working_time(current_job_working_time, pipeline=pipeline)
        except RedisError:
            logger.warning("could not write the job's working time to Redis; next beat")

    def _skip_duplicate(self, queue, job: Job, why: str) -> None:
        """Leave the job to the delivery executing it: only this delivery's entry in the
        intermediate list goes (the id names an item that is running: nothing to queue)."""
        logger.warning("%s; skipped", why)
        queue.connection.lrem(queue.intermediate_queue_key, 1, job.id)
        self.duplicate = job.id

    def _register_execution(self, job: Job, pipeline) -> None:
        """RQ's ``prepare_execution`` (``rq.executions``), on the claim's pipeline."""
        ttl = self.get_heartbeat_ttl(job)
        self.execution = Execution.create(job, ttl, pipeline=pipeline, worker_name=self.name)
        self.set_state(WorkerStatus.BUSY, pipeline=pipeline)

    def prepare_execution(self, job: Job) -> Execution:
        if self.execution is not None and self.execution.job_id == job.id:
            return self.execution  # registered by the claim (execute_job)
        return super().prepare_execution(job)


def _requeue_all(queue, entries: list[str]) -> None:
    for entry in entries:
        requeue_named_item(queue, entry)


def _record_crash(job: Job) -> bool:
    kind = kind_of(job.func_name)
    if kind is None:  # not reached: execute_job runs registered kinds only
        logger.error("job %s is no registered kind", job.func_name)
        return True

    def record() -> bool:
        with process_database().transaction() as tx:
            return kind.mark_failed(tx, job.id, CRASHED)

    try:
        retry_transaction(record)
    except Exception:
        logger.exception("could not record the failure")
        return False
    return True


def _outcome_recorded(job: Job) -> bool:
    """After the work-horse ended: is the outcome in the database (or a retry queued)?"""
    try:
        status = job.get_status(refresh=True)
        job.refresh()
    except Exception:  # the hash expired already: finished with result_ttl 0
        return True
    if status == JobStatus.FINISHED:
        return True
    if status not in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        # queued/scheduled: RQ queued its retry; started: another consumer already took it
        logger.warning("run did not finish here; RQ retries it (now %s)", status)
        return True
    if failure_of(job) == DATABASE_UNAVAILABLE:
        logger.error(
            "job ended as %s: the database stayed away; the reaper queues it again", status
        )
        return True
    logger.error("job ended as %s in RQ; recording it FAILED", status)
    return _record_crash(job)


def consume_one(connection: Redis | None = None) -> int:
    """Take and run at most one queued item from CONSUMER_QUEUE (default RQ_QUEUE; on
    ``connection``, default REDIS_URL's); return the process exit code."""
    started = time.perf_counter()
    try:
        connection = connection or redis_connection()
        queue = backtest_queue(connection, consumer_queue_name(), job_class=RegisteredJob)
        worker = OneShotWorker(
            [queue],
            connection=connection,
            job_class=RegisteredJob,
            serializer=queue.serializer,
            name=worker_name(),
            job_monitoring_interval=monitoring_interval(),
        )
        worked = worker.work(burst=True, max_jobs=1, logging_level="WARNING")
    except RedisError:
        logger.exception("queue unavailable")
        return 1
    job = worker.last_job
    elapsed = (time.perf_counter() - started) * 1000
    if not worked or job is None:
        if worker.quarantined is not None or worker.duplicate is not None:
            logger.info("no item of its own to run; exiting after %.0f ms", elapsed)
        else:
            logger.info("queue empty; exiting after %.0f ms", elapsed)
        return 0
    with run_context(job.id):
        ok = _outcome_recorded(job)
        logger.info("consumer done in %.0f ms", (time.perf_counter() - started) * 1000)
    return 0 if ok else 1
