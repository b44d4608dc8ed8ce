"""The reaper's reconciliation of database rows against RQ (MariaDB + Redis), without the
60 s heartbeat wait: the grace periods are set to zero."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis

from consumer import reaper
from kinds.runs.contract import parse_request
from kinds.runs.kind import enqueue_run
from kinds.runs.store import insert_pending, mark_running, mark_succeeded
from store.db import create_schema, make_engine, make_sessionmaker
from tests.consumer.support import QUICK_RUN, stored_run
from work.queue import backtest_queue
from work.status import RunStatus
from work.telemetry import METRICS_KEY

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@pytest.fixture
def sessions(mysql_url, monkeypatch):
    monkeypatch.setattr(reaper, "PENDING_GRACE", timedelta(0))
    monkeypatch.setattr(reaper, "RUNNING_GRACE", timedelta(0))
    engine = make_engine(mysql_url)
    create_schema(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def connection(redis_url):
    return Redis.from_url(redis_url)


def _row(sessions, queue_name: str, status: str, *, enqueue: bool, connection) -> str:
    request = parse_request(QUICK_RUN)
    queue = backtest_queue(connection, queue_name)
    with sessions.begin() as session:
        insert_pending(session, request, None, queue=queue_name)
        if status in (RunStatus.RUNNING, RunStatus.SUCCEEDED):
            mark_running(session, request.run_id, "test")
        if status == RunStatus.SUCCEEDED:
            mark_succeeded(
                session, request.run_id, result_json="{}", metrics={}, data_hash=None,
                engine_version=None,
            )  # fmt: skip
    if enqueue:
        enqueue_run(queue, request)
    return request.run_id


def test_a_pending_run_whose_job_vanished_is_enqueued_again(sessions, connection):
    """Redis lost it (or the web died between INSERT and enqueue): queued again, same id."""
    run_id = _row(sessions, "qa", RunStatus.PENDING, enqueue=False, connection=connection)
    report = reaper.reap(connection, sessions, "qa")
    assert report.requeued == [run_id]
    assert connection.lrange("rq:queue:qa", 0, -1) == [run_id.encode()]
    assert stored_run(sessions, run_id).status == RunStatus.PENDING
    assert reaper.reap(connection, sessions, "qa").requeued == [], "queued once, not twice"


def test_a_running_run_whose_job_vanished_is_queued_again_once_then_failed(sessions, connection):
    """RUNNING in the database but unknown to RQ (Redis came back empty): its stored request
    is queued again; lost a second time (two attempts), it is FAILED with a clear message,
    never RUNNING forever."""
    run_id = _row(sessions, "qb", RunStatus.RUNNING, enqueue=False, connection=connection)
    report = reaper.reap(connection, sessions, "qb")
    assert report.requeued == [run_id] and report.failed == []
    assert stored_run(sessions, run_id).status == RunStatus.RUNNING

    connection.delete(f"rq:job:{run_id}", "rq:queue:qb")  # lost again, on its second try
    with sessions.begin() as session:
        mark_running(session, run_id, "test")
    report = reaper.reap(connection, sessions, "qb")
    assert report.failed == [run_id]
    row = stored_run(sessions, run_id)
    assert row.status == RunStatus.FAILED and row.error_message == reaper.LOST


def test_queued_and_finished_runs_and_other_queues_are_left_alone(sessions, connection):
    """A queued run, a SUCCEEDED run and another queue's orphan are not touched."""
    queued = _row(sessions, "qc", RunStatus.PENDING, enqueue=True, connection=connection)
    done = _row(sessions, "qc", RunStatus.SUCCEEDED, enqueue=False, connection=connection)
    other = _row(sessions, "qother", RunStatus.PENDING, enqueue=False, connection=connection)
    report = reaper.reap(connection, sessions, "qc")
    assert (report.failed, report.requeued) == ([], [])
    assert [stored_run(sessions, r).status for r in (queued, done, other)] == [
        RunStatus.PENDING,
        RunStatus.SUCCEEDED,
        RunStatus.PENDING,
    ]
    assert connection.llen("rq:queue:qc") == 1 and connection.llen("rq:queue:qother") == 0


def test_the_reapers_recoveries_are_counted_in_the_metrics_hash(sessions, connection):
    """Each pass adds what it requeued and what it failed, by kind, to ``backtest:metrics``."""
    run_id = _row(sessions, "qm", RunStatus.RUNNING, enqueue=False, connection=connection)
    reaper.reap(connection, sessions, "qm")
    requeued = "backtest_reaper_recoveries_total|action=requeued,kind=run"
    assert connection.hgetall(METRICS_KEY) == {requeued.encode(): b"1"}
    connection.delete(f"rq:job:{run_id}", "rq:queue:qm")
    with sessions.begin() as session:
        mark_running(session, run_id, "test")
    reaper.reap(connection, sessions, "qm")
    failed = "backtest_reaper_recoveries_total|action=failed,kind=run"
    assert connection.hgetall(METRICS_KEY) == {requeued.encode(): b"1", failed.encode(): b"1"}
