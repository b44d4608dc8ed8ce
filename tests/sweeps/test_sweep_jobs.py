"""kinds.sweeps.kind (queued as consumer.sweep_jobs.run_chunk) on MariaDB + Redis: a chunk is one
queued message run by one consumer process, stored once; a killed work-horse is retried
without duplicating rows; a duplicate delivery changes nothing; the reaper reconciles chunks
like runs."""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consumer import reaper
from kinds.sweeps.contract import chunk_payloads, parse_sweep_request
from kinds.sweeps.kind import CHUNK
from kinds.sweeps.store import get_chunk, insert_sweep, mark_chunk_running
from store.models import SweepResult
from tests.consumer.support import (
    children,
    consumer,
    finish,
    long_history,
    signal_pod,
)
from tests.stack import wait_until
from work.queue import backtest_queue, own_queue_name
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]  # consumer processes


@pytest.fixture
def long_data(tmp_path) -> Path:
    """A DATA_DIR with LONG: 20,000 daily bars, so a 2,000-combo chunk takes a while."""
    return long_history(tmp_path / "longdata", "LONG", seed=3)


def submit(sessions, queue, *, chunk_size=50, **fields) -> list[dict]:
    """Validate, INSERT and enqueue a sweep as the web does; its chunk messages."""
    body = {
        "ticker": "ACME",
        "rule_type": "SMA_CROSS",
        "grid": {"fast": "2:20:2", "slow": [30, 40, 50]},
        "start_date": "2016-01-01",
        "end_date": "2018-12-31",
        **fields,
    }
    sweep = replace(parse_sweep_request(body), chunk_size=chunk_size)
    payloads = chunk_payloads(sweep)
    with sessions.begin() as session:
        insert_sweep(session, sweep, payloads, image_tag="test", queue=queue.name)
    for payload in payloads:
        CHUNK.enqueue(queue, payload)
    return payloads


def chunk(sessions, chunk_id):
    with sessions() as session:
        return get_chunk(session, chunk_id)


def stored_rows(sessions, sweep_id) -> list[tuple]:
    with sessions() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(SweepResult.combo_no, SweepResult.params_json, SweepResult.sharpe_ratio)
                .where(SweepResult.sweep_id == sweep_id)
                .order_by(SweepResult.combo_no)
            )
        ]


def test_a_consumer_runs_one_chunk_stores_its_rows_and_exits_zero(env, sessions, queue):
    """Two chunks queued: one process stores one chunk's 30 rows, SUCCEEDED with timings;
    the other chunk stays queued."""
    first, second = submit(sessions, queue, chunk_size=15)[:2]
    proc = consumer(env)
    code, out = finish(proc)
    assert code == 0, out
    done = chunk(sessions, first["chunk_id"])
    assert (done.status, done.attempts) == (RunStatus.SUCCEEDED, 1), out
    assert done.compute_ms > 0 and done.write_ms > 0 and done.startup_ms > 0
    rows = stored_rows(sessions, first["sweep_id"])
    assert [r[0] for r in rows] == list(range(15))
    assert chunk(sessions, second["chunk_id"]).status == RunStatus.PENDING
    assert queue.connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1)[0] == (
        second["chunk_id"].encode()
    )
    assert first["chunk_id"] in out, "log lines carry the chunk id"


def test_each_queue_has_its_own_consumers_and_chunks_on_the_runs_queue_still_resolve(
    env, sessions, queue
):
    """A consumer of the sweep queue (CONSUMER_QUEUE) takes the chunk queued there and leaves
    the runs' queue alone; a consumer of the runs' queue still takes a chunk queued there
    before sweeps had a queue of their own; the reaper passes over both queues."""
    sweeps = backtest_queue(queue.connection, own_queue_name(queue.name, "sweeps"))
    (new,) = submit(sessions, sweeps)
    (old,) = submit(sessions, queue)
    code, out = finish(consumer(env, CONSUMER_QUEUE=sweeps.name))
    assert code == 0, out
    assert chunk(sessions, new["chunk_id"]).status == RunStatus.SUCCEEDED
    assert chunk(sessions, old["chunk_id"]).status == RunStatus.PENDING
    assert queue.connection.lrange(queue.key, 0, -1) == [old["chunk_id"].encode()]
    code, out = finish(consumer(env))
    assert code == 0, out
    assert chunk(sessions, old["chunk_id"]).status == RunStatus.SUCCEEDED
    assert reaper.queues_to_reap() == (queue.name, sweeps.name)


def test_a_duplicate_delivery_of_a_finished_chunk_changes_nothing(env, sessions, queue):
    """Delivered again after SUCCEEDED: skipped; rows, times and attempts unchanged."""
    (payload,) = submit(sessions, queue)
    assert finish(consumer(env))[0] == 0
    before = chunk(sessions, payload["chunk_id"])
    rows = stored_rows(sessions, payload["sweep_id"])
    assert before.status == RunStatus.SUCCEEDED and len(rows) == 30

    queue.connection.delete(f"rq:job:{payload['chunk_id']}")  # its hash expired
    CHUNK.enqueue(queue, payload)
    code, out = finish(consumer(env))
    assert code == 0 and "duplicate or late delivery ignored" in out
    after = chunk(sessions, payload["chunk_id"])
    assert stored_rows(sessions, payload["sweep_id"]) == rows
    assert (after.status, after.completed_at, after.attempts) == (
        before.status,
        before.completed_at,
        before.attempts,
    )


def test_a_killed_work_horse_is_retried_and_its_rows_are_stored_once(
    env, sessions, queue, long_data, tmp_path
):
    """SIGKILL on the work-horse mid-chunk: RQ re-queues the chunk, the consumer exits 0,
    the next consumer stores it (attempt 2) with exactly one row per combination."""
    (payload,) = submit(
        sessions,
        queue,
        chunk_size=2000,
        ticker="LONG",
        start_date="1940-01-01",
        end_date="1994-12-31",
        grid={"fast": "2:101:1", "slow": "110:300:10"},
    )
    proc = consumer(env, DATA_DIR=str(long_data), CLAIM_FILE=str(tmp_path / "c1"))
    wait_until(
        lambda: chunk(sessions, payload["chunk_id"]).status == RunStatus.RUNNING,
        60,
        0.01,
        what="RUNNING",
    )
    signal_pod(proc, signal.SIGSTOP)
    (horse,) = children(proc.pid)
    os.kill(horse, signal.SIGKILL)
    signal_pod(proc, signal.SIGCONT)
    code, out = finish(proc)
    assert code == 0, out
    assert queue.connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1) == [
        payload["chunk_id"].encode()
    ]
    assert chunk(sessions, payload["chunk_id"]).status == RunStatus.RUNNING
    assert stored_rows(sessions, payload["sweep_id"]) == [], "nothing stored by the killed try"

    code, out = finish(consumer(env, DATA_DIR=str(long_data), CLAIM_FILE=str(tmp_path / "c2")))
    assert code == 0, out
    done = chunk(sessions, payload["chunk_id"])
    assert (done.status, done.attempts) == (RunStatus.SUCCEEDED, 2), (done.error_message, out)
    rows = stored_rows(sessions, payload["sweep_id"])
    assert [r[0] for r in rows] == list(range(len(payload["combos"]))) and len(rows) == 2000
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(SweepResult))
    assert count >= 2000


def test_a_chunk_whose_data_cannot_serve_it_fails_with_a_clear_message(env, sessions, queue):
    """A ticker whose data vanished from DATA_DIR: FAILED naming the ticker; exit 0."""
    (payload,) = submit(sessions, queue)
    code, out = finish(consumer(env, DATA_DIR=str(Path(env["CLAIM_FILE"]).parent)))
    assert code == 0, out
    failed = chunk(sessions, payload["chunk_id"])
    assert failed.status == RunStatus.FAILED and failed.error_message.startswith("ticker:")


def test_the_reaper_requeues_lost_pending_chunks_and_fails_crashed_running_ones(
    env, sessions, queue, monkeypatch
):
    """PENDING chunk whose job vanished → enqueued again; RUNNING chunk whose job vanished
    on its second attempt → FAILED (on its first it is queued again); chunks of another
    queue are left alone."""
    monkeypatch.setattr(reaper, "PENDING_GRACE", timedelta(0))
    monkeypatch.setattr(reaper, "RUNNING_GRACE", timedelta(0))
    lost, running = submit(sessions, queue, chunk_size=15)[:2]
    other = backtest_queue(queue.connection, "other-queue")
    foreign = submit(sessions, other)[0]
    for key in (lost["chunk_id"], running["chunk_id"], foreign["chunk_id"]):
        queue.connection.delete(f"rq:job:{key}")
    queue.connection.delete(f"rq:queue:{env['RQ_QUEUE']}", "rq:queue:other-queue")
    with sessions.begin() as session:
        for _ in range(reaper.MAX_ATTEMPTS):
            mark_chunk_running(session, running["chunk_id"], "gone")
    report = reaper.reap(queue.connection, sessions, env["RQ_QUEUE"])
    assert report.requeued == [lost["chunk_id"]] and report.failed == [running["chunk_id"]]
    assert queue.connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1) == [
        lost["chunk_id"].encode()
    ]
    assert chunk(sessions, running["chunk_id"]).error_message == reaper.LOST
    assert chunk(sessions, foreign["chunk_id"]).status == RunStatus.PENDING
    assert finish(consumer(env))[0] == 0
    assert chunk(sessions, lost["chunk_id"]).status == RunStatus.SUCCEEDED


def test_a_process_start_is_read_to_within_a_clock_tick_or_two():
    """A chunk's ``startup_ms`` counts from its consumer's start as /proc gives it: read
    against the boot clock it is exact to its ticks (against /proc/stat's whole-second
    boot time it was up to a second off)."""
    import subprocess
    import time

    from kinds.sweeps.kind import process_started_at

    before = time.time()
    child = subprocess.Popen(["sleep", "5"])
    try:
        time.sleep(0.3)
        started = process_started_at(child.pid)
    finally:
        child.kill()
        child.wait()
    assert started is not None and abs(started - before) < 0.05
