"""A cancelled run is never executed (MariaDB + Redis): the web marks it CANCELLED and takes
its message off the queue, but a consumer may already hold the message (or Redis was away);
the guarded PENDING → RUNNING transition refuses, the Job skips it, and the reaper never
queues a CANCELLED run again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumer import reaper
from kinds.runs.contract import parse_request
from kinds.runs.kind import RUN, enqueue_run
from kinds.runs.store import insert_pending, mark_cancelled, mark_running
from store.clock import utcnow
from tests.consumer.support import QUICK_RUN, consumer, finish, stored_run
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


def _cancelled(sessions, queue, *, enqueue: bool) -> str:
    """A run CANCELLED in the database whose message is (still) queued when ``enqueue``."""
    request = parse_request(QUICK_RUN)
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    if enqueue:
        enqueue_run(queue, request)
    with sessions.begin() as session:
        assert mark_cancelled(session, request.run_id)
    return request.run_id


def test_the_guarded_start_refuses_a_cancelled_run(sessions, queue):
    run_id = _cancelled(sessions, queue, enqueue=False)
    with sessions.begin() as session:
        assert mark_running(session, run_id, "late consumer") is False
        assert mark_cancelled(session, run_id) is False, "cancelled once"
    row = stored_run(sessions, run_id)
    assert (row.status, row.attempts, row.started_at) == (RunStatus.CANCELLED, 0, None)


@pytest.mark.slow  # a consumer process
def test_a_consumer_skips_a_cancelled_run_whose_message_was_still_queued(env, sessions, queue):
    """The race: the web marked it CANCELLED after the consumer could see the message."""
    run_id = _cancelled(sessions, queue, enqueue=True)
    assert queue.connection.llen(queue.key) == 1

    code, log = finish(consumer(env))

    assert code == 0, log
    assert "is CANCELLED (duplicate or late delivery ignored)" in log
    row = stored_run(sessions, run_id)
    assert (row.status, row.result_json, row.worker) == (RunStatus.CANCELLED, None, None)


def test_the_reaper_never_queues_a_cancelled_run_again(sessions, queue, monkeypatch):
    """A CANCELLED row with no job in Redis (its message was taken off) is not "lost"."""
    monkeypatch.setattr(reaper, "PENDING_GRACE", timedelta(0))
    monkeypatch.setattr(reaper, "RUNNING_GRACE", timedelta(0))
    run_id = _cancelled(sessions, queue, enqueue=False)

    report = reaper.reap(queue.connection, sessions, queue.name)

    assert run_id not in report.requeued and run_id not in report.failed
    assert queue.connection.llen(queue.key) == 0
    assert stored_run(sessions, run_id).status == RunStatus.CANCELLED


def test_a_run_cancelled_while_the_reaper_looks_at_it_is_not_queued_again(sessions, queue):
    """The pass listed the run PENDING with no job (the cancel had just taken its message
    off); by the time it would enqueue it again the row is CANCELLED: nothing is queued."""
    request = parse_request(QUICK_RUN)
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    with sessions.begin() as session:
        (listed,) = RUN.stuck(
            session, RunStatus.PENDING, queue=queue.name, older_than=utcnow() + timedelta(1)
        )
    with sessions.begin() as session:
        mark_cancelled(session, request.run_id)

    report = reaper.ReapReport()
    with sessions() as session:
        reaper._reconcile_row(session, queue, RUN, listed, RunStatus.PENDING, report)

    assert report.requeued == [] and queue.connection.llen(queue.key) == 0
    assert stored_run(sessions, request.run_id).status == RunStatus.CANCELLED
