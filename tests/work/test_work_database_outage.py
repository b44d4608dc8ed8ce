"""A database outage during a queued item (MariaDB behind a TCP proxy the test cuts; the
shared server is never stopped): the work waits the outage out and stores its result, and a
consumer that had to give up leaves the item for the reaper to queue again, never FAILED as
a crash."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from consumer import reaper
from kinds.runs.contract import parse_request
from kinds.runs.kind import RUN, enqueue_run
from kinds.runs.store import get_run, insert_pending
from store import dbapi
from tests.consumer.support import QUICK_RUN, consumer, finish
from tests.tcp_proxy import TcpProxy
from work.lifecycle import run_item
from work.retry import DatabaseUnavailable
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@pytest.fixture
def proxy(env):
    """A proxy to the test database; this process's Job connection goes through it."""
    server = make_url(env["DATABASE_URL"])
    proxy = TcpProxy(server.port or 3306, server.host or "127.0.0.1")
    dbapi._PROCESS_DATABASES.clear()
    yield proxy
    proxy.close()
    dbapi._PROCESS_DATABASES.clear()


def _pending(sessions, queue=None) -> dict:
    request = parse_request(QUICK_RUN)
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name if queue else "backtests")
    if queue is not None:
        enqueue_run(queue, request)
    return request.to_dict()


def _row(sessions, run_id):
    with sessions() as session:
        return get_run(session, run_id)


def test_a_result_computed_during_an_outage_is_stored_when_the_database_returns(
    env, sessions, proxy, monkeypatch
):
    """The cut starts after RUNNING and lasts 2 s: the SUCCEEDED write is retried with
    backoff until it lands; the backtest is computed once, the run has one attempt."""
    monkeypatch.setenv("DATABASE_URL", proxy.url_for(env["DATABASE_URL"]))
    monkeypatch.setenv("DB_RETRY_SECONDS", "30")
    payload = _pending(sessions)
    computed = []

    def compute_then_cut(claim, message):
        execution = RUN.compute(claim, message)
        computed.append(claim.item_id)
        proxy.cut()
        threading.Timer(2.0, proxy.restore).start()
        return execution

    outcome = run_item(dataclasses.replace(RUN, compute=compute_then_cut), payload)

    assert outcome == {"run_id": payload["run_id"], "status": RunStatus.SUCCEEDED}
    assert computed == [payload["run_id"]]
    row = _row(sessions, payload["run_id"])
    assert row.status == RunStatus.SUCCEEDED and row.attempts == 1
    assert row.result_json and row.error_message is None


def test_a_database_that_stays_away_longer_than_the_budget_raises_database_unavailable(
    env, sessions, proxy, monkeypatch
):
    """Nothing is written and nothing pretends the run crashed: the row stays PENDING."""
    monkeypatch.setenv("DATABASE_URL", proxy.url_for(env["DATABASE_URL"]))
    monkeypatch.setenv("DB_RETRY_SECONDS", "1.5")
    payload = _pending(sessions)
    proxy.cut()
    with pytest.raises(DatabaseUnavailable):
        run_item(RUN, payload)
    assert _row(sessions, payload["run_id"]).status == RunStatus.PENDING


@pytest.mark.slow  # consumer processes
def test_a_run_whose_consumers_gave_up_on_the_database_is_queued_again_and_succeeds(
    env, sessions, queue, proxy, monkeypatch
):
    """Both deliveries (RQ's one retry) give up after 1.5 s and exit 0; once the database is
    back, the reaper queues the run again and the next consumer completes it."""
    monkeypatch.setattr(reaper, "PENDING_GRACE", timedelta(0))
    through_proxy = {"DATABASE_URL": proxy.url_for(env["DATABASE_URL"]), "DB_RETRY_SECONDS": "1.5"}
    payload = _pending(sessions, queue)
    proxy.cut()
    for _ in range(2):
        code, log = finish(consumer(env, **through_proxy))
        assert code == 0, log
        assert "giving up" in log and "database unavailable" in log
    assert _row(sessions, payload["run_id"]).status == RunStatus.PENDING

    proxy.restore()
    report = reaper.reap(queue.connection, sessions, queue.name)
    assert report.requeued == [payload["run_id"]] and report.failed == []
    code, log = finish(consumer(env, **through_proxy))
    assert code == 0, log
    row = _row(sessions, payload["run_id"])
    assert row.status == RunStatus.SUCCEEDED and row.error_message is None


@pytest.mark.slow  # a consumer process
def test_a_consumer_started_during_an_outage_waits_it_out(env, sessions, queue, proxy):
    """The database is cut when the consumer starts and back 4 s later: one attempt,
    SUCCEEDED, no retry spent."""
    through_proxy = {"DATABASE_URL": proxy.url_for(env["DATABASE_URL"]), "DB_RETRY_SECONDS": "60"}
    payload = _pending(sessions, queue)
    proxy.cut()
    threading.Timer(4.0, proxy.restore).start()
    code, log = finish(consumer(env, **through_proxy))
    assert code == 0, log
    assert "retrying in" in log
    row = _row(sessions, payload["run_id"])
    assert row.status == RunStatus.SUCCEEDED and row.attempts == 1
