"""The database heartbeat (``consumer.liveness``): a consumer's parent stamps ``heartbeat_at``
while its work-horse computes, and the reaper never requeues or fails a RUNNING item whose
heartbeat is fresh — whatever Redis lost — while an item whose heartbeat is stale is
recovered as before (MariaDB + Redis; the reaper's grace periods set to zero)."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import text

from consumer import reaper
from kinds.runs.contract import parse_request
from kinds.runs.kind import RUN, enqueue_run
from kinds.runs.store import insert_pending, mark_running
from store.models import utcnow
from tests.consumer.support import children, consumer, finish, long_history, stored_run
from tests.stack import wait_until
from tests.tcp_proxy import TcpProxy
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]

SLOW = {"ticker": "SLOW", "rule_type": "SMA_CROSS", "start_date": "1940-01-01"}


@pytest.fixture(autouse=True)
def no_grace(monkeypatch):
    monkeypatch.setattr(reaper, "PENDING_GRACE", timedelta(0))
    monkeypatch.setattr(reaper, "RUNNING_GRACE", timedelta(0))


def _on_second_attempt(sessions, queue, request: dict, *, enqueue: bool) -> str:
    """A run RUNNING on its second delivery (its first one's pod is gone)."""
    parsed = parse_request({"end_date": "2000-01-01", "charts": True, **request}, strict=False)
    with sessions.begin() as session:
        insert_pending(session, parsed, "test", queue=queue.name)
        mark_running(session, parsed.run_id, "a lost pod:1")
    if enqueue:
        enqueue_run(queue, parsed)
    else:
        with sessions.begin() as session:
            mark_running(session, parsed.run_id, "a lost pod:2")
    return parsed.run_id


def _beat_at(sessions, run_id: str, when) -> None:
    with sessions.begin() as session:
        assert RUN.heartbeat(session, run_id, "a lost pod:2")
        session.execute(
            text("UPDATE backtest_results SET heartbeat_at = :at WHERE run_id = :id"),
            {"at": when, "id": run_id},
        )


def test_a_running_item_with_a_fresh_heartbeat_is_left_alone_after_redis_lost_its_job(
    env, sessions, queue
):
    """On its second attempt, its job gone from Redis (restarted empty), its consumer still
    beating in the database: the reaper neither fails nor requeues it."""
    run_id = _on_second_attempt(sessions, queue, {**SLOW, "ticker": "ACME"}, enqueue=False)
    _beat_at(sessions, run_id, utcnow())
    report = reaper.reap(queue.connection, sessions, queue.name)
    assert (report.failed, report.requeued) == ([], [])
    row = stored_run(sessions, run_id)
    assert (row.status, row.attempts, row.error_message) == (RunStatus.RUNNING, 2, None)
    assert queue.connection.llen(queue.key) == 0, "no second delivery"


def test_a_running_item_whose_heartbeat_is_stale_is_failed_as_lost_on_its_second_attempt(
    env, sessions, queue
):
    """A consumer that stopped beating longer ago than the staleness limit is gone: on its
    second attempt with no job in Redis the item is FAILED as lost, as before."""
    run_id = _on_second_attempt(sessions, queue, {**SLOW, "ticker": "ACME"}, enqueue=False)
    stale = reaper.heartbeat_stale() + timedelta(seconds=1)
    _beat_at(sessions, run_id, utcnow() - stale)
    report = reaper.reap(queue.connection, sessions, queue.name)
    assert report.failed == [run_id]
    row = stored_run(sessions, run_id)
    assert (row.status, row.error_message) == (RunStatus.FAILED, reaper.LOST)


def test_a_heartbeat_is_written_only_for_the_delivery_running_the_item(env, sessions, queue):
    """The beat is guarded by RUNNING and the worker that started the item: another
    delivery's (or a finished item's) beat writes nothing."""
    run_id = _on_second_attempt(sessions, queue, {**SLOW, "ticker": "ACME"}, enqueue=False)
    with sessions.begin() as session:
        assert not RUN.heartbeat(session, run_id, "a lost pod:1")
    assert stored_run(sessions, run_id).heartbeat_at is None
    with sessions.begin() as session:
        assert RUN.heartbeat(session, run_id, "a lost pod:2")
    assert stored_run(sessions, run_id).heartbeat_at is not None


def _held(proc, sessions, run_id: str) -> int:
    """The consumer's work-horse, stopped (SIGSTOP: a long compute) once it runs attempt 2."""
    wait_until(lambda: stored_run(sessions, run_id).attempts == 2, 30, 0.01, what="attempt 2")
    (horse,) = wait_until(lambda: children(proc.pid), 10, 0.01, what="the work-horse")
    os.kill(horse, signal.SIGSTOP)
    return horse


@pytest.mark.slow
def test_a_consumer_beats_while_computing_and_keeps_its_item_through_an_empty_redis_restart(
    env, sessions, queue, tmp_path
):
    """A real consumer on an item's second attempt: its parent stamps the row's heartbeat
    every RQ_JOB_MONITORING_INTERVAL while the work-horse computes (held here with SIGSTOP);
    Redis is emptied, the reaper passes and leaves it alone, and the consumer stores its
    result: SUCCEEDED, on attempt 2, stored once."""
    data = long_history(tmp_path / "slowdata", "SLOW", seed=7)
    run_id = _on_second_attempt(sessions, queue, SLOW, enqueue=True)
    proc = consumer(env, DATA_DIR=str(data), CLAIM_FILE=str(tmp_path / "claimed"))
    try:
        horse = _held(proc, sessions, run_id)
        first = wait_until(lambda: stored_run(sessions, run_id).heartbeat_at, 15, what="a beat")
        wait_until(
            lambda: stored_run(sessions, run_id).heartbeat_at > first, 15, what="another beat"
        )
        Redis.from_url(env["REDIS_URL"]).flushdb()  # restarted empty, mid-compute
        report = reaper.reap(queue.connection, sessions, queue.name)
        assert (report.failed, report.requeued) == ([], [])
        assert stored_run(sessions, run_id).status == RunStatus.RUNNING
        os.kill(horse, signal.SIGCONT)
        code, out = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = stored_run(sessions, run_id)
    assert (done.status, done.attempts) == (RunStatus.SUCCEEDED, 2), (done.error_message, out)
    assert code == 0, out
    assert out.count("no longer RUNNING") == 0, out


@pytest.mark.slow
def test_a_consumer_keeps_beating_to_the_database_while_redis_is_unreachable(
    env, sessions, queue, tmp_path, redis_url
):
    """Redis cut off while the work-horse computes: the parent's database beats go on (RQ's
    own heartbeats to Redis fail, logged, without ending the consumer), and once Redis is
    back the item is stored, the consumer exiting 0."""
    port = Redis.from_url(redis_url).connection_pool.connection_kwargs["port"]
    proxy = TcpProxy(port)
    through_proxy = f"redis://127.0.0.1:{proxy.port}/{redis_url.rsplit('/', 1)[1]}"
    data = long_history(tmp_path / "slowdata", "SLOW", seed=7)
    run_id = _on_second_attempt(sessions, queue, SLOW, enqueue=True)
    proc = consumer(
        env, REDIS_URL=through_proxy, DATA_DIR=str(data), CLAIM_FILE=str(tmp_path / "c")
    )
    try:
        horse = _held(proc, sessions, run_id)
        wait_until(lambda: stored_run(sessions, run_id).heartbeat_at, 15, what="a beat")
        proxy.cut()
        cut_at = utcnow()
        interval = timedelta(seconds=int(env["RQ_JOB_MONITORING_INTERVAL"]))
        wait_until(  # a beat after the first one that met the cut: the parent lived on
            lambda: stored_run(sessions, run_id).heartbeat_at > cut_at + interval,
            20,
            what="beats while Redis is away",
        )
        assert proc.poll() is None, "the consumer survived RQ's failed heartbeats"
        proxy.restore()
        os.kill(horse, signal.SIGCONT)
        code, out = finish(proc)
    finally:
        proxy.close()
        if proc.poll() is None:
            proc.kill()
    done = stored_run(sessions, run_id)
    assert (done.status, done.attempts) == (RunStatus.SUCCEEDED, 2), (done.error_message, out)
    assert code == 0, out
    assert "could not write RQ's heartbeats" in out, out
