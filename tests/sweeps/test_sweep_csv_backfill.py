"""A compactly stored sweep whose finished chunks lack their CSV parts (stored before them),
on MariaDB and Redis: its first download queues one backfill Job (kinds.sweeps.backfill_kind)
and answers 202 with Retry-After; downloads meanwhile, even at the same moment, answer with
that same backfill; once it ran (in-process as the consumer does, and through a real
consumer process) the download is the CSV's bytes. Backfills that failed while running are
tried again up to MAX_FAILED, then the download says why."""

from __future__ import annotations

import threading
import time

import pytest
from redis import Redis
from sqlalchemy import select, update

from kinds.sweeps.backfill_kind import CSV_BACKFILL
from kinds.sweeps.csv_preparing import MAX_FAILED
from store.models import SweepCsvBackfill
from tests.consumer.support import consumer, finish
from tests.sweeps.support import sweep_app
from tests.sweeps.test_sweep_compact import COMPACT
from tests.sweeps.test_sweep_csv import _drop_parts, _finished, _sessions
from work.connection import kind_queue_name
from work.kind import Claim
from work.queue import backtest_queue
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


def _url(sweep_id: str) -> str:
    return f"/api/sweeps/{sweep_id}/results.csv"


def _queue(app):
    """The sweep queue, where backfills go."""
    return backtest_queue(
        Redis.from_url(app.config["REDIS_URL"]), kind_queue_name(CSV_BACKFILL, app.config)
    )


def _backfills(app, sweep_id: str) -> list[tuple[str, str]]:
    with _sessions(app)() as session:
        rows = session.execute(
            select(SweepCsvBackfill.backfill_id, SweepCsvBackfill.status)
            .where(SweepCsvBackfill.sweep_id == sweep_id)
            .order_by(SweepCsvBackfill.backfill_id)
        )
        return [tuple(row) for row in rows]


def _run_backfills(app, monkeypatch) -> int:
    """What a consumer does with each backfill waiting on the sweep queue: RUNNING, the
    kind's own compute (on DATABASE_URL), SUCCEEDED; the queue is emptied."""
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    queue, sessions = _queue(app), _sessions(app)
    payloads = [job.args[0] for job in queue.jobs]
    for payload in payloads:
        claim = Claim(payload["backfill_id"], "test", time.time())
        with sessions.begin() as session:
            assert CSV_BACKFILL.mark_running(session, claim)
        execution = CSV_BACKFILL.compute(claim, payload)
        with sessions.begin() as session:
            assert execution.store(session)
    queue.empty()
    return len(payloads)


@pytest.fixture
def stored_before(mysql_url, redis_url):
    """(app, sweep id, its CSV) of a compact sweep whose parts were then dropped (a sweep
    stored before its chunks kept them)."""
    app = sweep_app(mysql_url, redis_url, **COMPACT)
    sweep_id = _finished(app)
    before = app.test_client().get(_url(sweep_id)).get_data()
    _drop_parts(app, sweep_id)
    return app, sweep_id, before


def test_the_first_download_queues_a_backfill_and_answers_202_then_the_csv(
    stored_before, monkeypatch
):
    """202 with Retry-After and a JSON body saying the file is being prepared, naming the
    backfill queued on the sweep queue; a second download names the same one (one row, one
    message); after it ran, the download is the same bytes as before and queues nothing."""
    app, sweep_id, before = stored_before
    client = app.test_client()
    first = client.get(_url(sweep_id))
    assert first.status_code == 202 and first.headers["Retry-After"] == "5"
    body = first.json
    assert body["status"] == "preparing" and "being prepared" in body["message"]
    assert body["chunks_missing"] == 4 and body["backfill_status"] == "PENDING"
    assert body["backfill_id"] == f"{sweep_id}-csv1"
    again = client.get(_url(sweep_id))
    assert again.status_code == 202 and again.json["backfill_id"] == body["backfill_id"]
    assert _queue(app).job_ids == [body["backfill_id"]]
    assert _backfills(app, sweep_id) == [(body["backfill_id"], RunStatus.PENDING)]

    assert _run_backfills(app, monkeypatch) == 1
    after = client.get(_url(sweep_id))
    assert after.status_code == 200 and after.get_data() == before
    assert after.headers["Content-Length"] == str(len(before))
    assert _backfills(app, sweep_id) == [(body["backfill_id"], RunStatus.SUCCEEDED)]
    assert _queue(app).count == 0


def test_downloads_at_the_same_moment_queue_one_backfill(stored_before):
    """Eight downloads at once: every one answers 202 naming the same backfill, recorded
    and queued once."""
    app, sweep_id, _ = stored_before
    start, answers = threading.Barrier(8), []

    def download() -> None:
        client = app.test_client()
        start.wait()
        response = client.get(_url(sweep_id))
        answers.append((response.status_code, response.json["backfill_id"]))

    threads = [threading.Thread(target=download) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [(202, f"{sweep_id}-csv1")] * 8
    assert len(_backfills(app, sweep_id)) == 1 and _queue(app).count == 1


def _fail_latest(app, sweep_id: str, *, attempts: int) -> None:
    """The sweep's latest backfill FAILED after ``attempts`` deliveries, its message gone."""
    backfill_id = _backfills(app, sweep_id)[-1][0]
    with _sessions(app).begin() as session:
        session.execute(
            update(SweepCsvBackfill)
            .where(SweepCsvBackfill.backfill_id == backfill_id)
            .values(status=RunStatus.FAILED, attempts=attempts, error_message="data file gone")
        )
    _queue(app).empty()


def test_a_backfill_that_failed_is_tried_again_until_three_failed_while_running(stored_before):
    """A download after a failed backfill queues the next one; one whose enqueue failed
    (never delivered) does not count; after MAX_FAILED failed while running, the download
    is a 409 with the last error and the operator's command, and queues nothing."""
    app, sweep_id, _ = stored_before
    client = app.test_client()
    assert client.get(_url(sweep_id)).status_code == 202
    _fail_latest(app, sweep_id, attempts=0)
    for number in range(2, 2 + MAX_FAILED):
        answer = client.get(_url(sweep_id))
        assert answer.status_code == 202 and answer.json["backfill_id"] == f"{sweep_id}-csv{number}"
        _fail_latest(app, sweep_id, attempts=1)
    refused = client.get(_url(sweep_id))
    assert refused.status_code == 409 and "data file gone" in refused.json["error"]
    assert f"python -m kinds.sweeps.csv_backfill {sweep_id}" in refused.json["error"]
    assert len(_backfills(app, sweep_id)) == 1 + MAX_FAILED and _queue(app).count == 0


@pytest.mark.slow  # a consumer process
def test_a_consumer_process_runs_the_queued_backfill(env, tmp_path):
    """The consumer executes the backfill's registered job name from the sweep queue: the
    backfill SUCCEEDED and the download is the CSV it was."""
    app = sweep_app(env["DATABASE_URL"], env["REDIS_URL"], **COMPACT, RQ_QUEUE=env["RQ_QUEUE"])
    sweep_id = _finished(app)
    client = app.test_client()
    before = client.get(_url(sweep_id)).get_data()
    _drop_parts(app, sweep_id)
    assert client.get(_url(sweep_id)).status_code == 202
    code, out = finish(consumer(env, CONSUMER_QUEUE=_queue(app).name), 300)
    assert code == 0, out
    assert _backfills(app, sweep_id) == [(f"{sweep_id}-csv1", RunStatus.SUCCEEDED)], out
    after = client.get(_url(sweep_id))
    assert after.status_code == 200 and after.get_data() == before
