"""Deliveries the fault campaign (bench/fault_campaign.py) showed the consumer misreading
(MariaDB + Redis): a retry another consumer already took, an id pushed again while its job
runs, and a failure note left by an earlier delivery."""

from __future__ import annotations

import pytest
from rq.job import Job, JobStatus

from consumer import worker
from kinds.runs.store import mark_running
from tests.consumer.support import consumer, finish, quick_run, stored_run
from work.queue import DATABASE_UNAVAILABLE, FAILURE_META
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


def _job(queue, run_id: str) -> Job:
    return Job.fetch(run_id, connection=queue.connection, serializer=queue.serializer)


def test_a_retry_another_consumer_already_took_is_not_recorded_as_a_crash(sessions, queue):
    """The work-horse failed, RQ queued its retry and another consumer started it before
    this parent looked: STARTED is that retry's, never "not recorded"."""
    run_id = quick_run(sessions, queue)
    with sessions.begin() as session:
        mark_running(session, run_id, "the other consumer")
    job = _job(queue, run_id)
    job.set_status(JobStatus.STARTED)

    assert worker._outcome_recorded(job) is True
    assert stored_run(sessions, run_id).status == RunStatus.RUNNING


@pytest.mark.slow  # a consumer process
def test_an_id_pushed_again_while_its_job_runs_is_skipped_not_run_twice(env, sessions, queue):
    run_id = quick_run(sessions, queue)
    _job(queue, run_id).set_status(JobStatus.STARTED)  # another consumer is running it

    code, log = finish(consumer(env))

    assert code == 0, log
    assert "duplicate delivery of a job being executed; skipped" in log
    assert stored_run(sessions, run_id).status == RunStatus.PENDING, "not executed here"
    assert queue.connection.llen(queue.intermediate_queue_key) == 0


@pytest.mark.slow  # a consumer process
def test_a_failure_note_does_not_outlive_the_delivery_that_wrote_it(env, sessions, queue):
    """A delivery that gave up on the database noted it; the next delivery succeeds, and a
    later crash could no longer be mistaken for a database give-up."""
    run_id = quick_run(sessions, queue)
    job = _job(queue, run_id)
    job.meta[FAILURE_META] = DATABASE_UNAVAILABLE
    job.save_meta()

    code, log = finish(consumer(env))

    assert code == 0, log
    assert stored_run(sessions, run_id).status == RunStatus.SUCCEEDED
    assert FAILURE_META not in _job(queue, run_id).meta
