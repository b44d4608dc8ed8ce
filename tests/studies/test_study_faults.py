"""A study survives its faults through the real queue (``python -m consumer`` processes on
MariaDB and a private redis-server): a consumer pod SIGKILLed mid-batch, Redis restarted
empty right after (every queued batch lost), a work-horse SIGKILLed mid-batch later. The
reaper queues the lost batches again; every trial ends COMPLETE or PRUNED, or FAIL and asked
again exactly once with the same params; the study reaches its budget with no trial counted
twice."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import update

from bench.fault_campaign import PrivateRedis
from consumer.reaper import reap
from kinds.studies.kind import BATCH
from kinds.studies.service import study_submission, validate_study
from kinds.studies.store import batch_counts, get_study, trials_of
from store.models import StudyBatch, utcnow
from tests.consumer.support import (
    children,
    consumer,
    consumer_env,
    finish,
    long_history,
    signal_pod,
)
from tests.stack import wait_until
from work.queue import backtest_queue
from work.submit import submit

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

N_TRIALS = 150

BODY = {
    "ticker": "LONGCO",
    "rule_type": "RSI",
    "start_date": "1940-01-01",
    "end_date": "2030-01-01",
    "space": {
        "period": {"low": 2, "high": 60},
        "oversold": {"low": 5, "high": 45, "step": 0.5},
        "overbought": {"low": 55, "high": 95, "step": 0.5},
        "stop_loss_pct": {"low": 0.5, "high": 20, "step": 0.5},
    },
    "n_trials": N_TRIALS,
    "batch_size": 50,
    "parallelism": 2,
}
"""A study whose batches last a couple of seconds (20,000 bars, a stop per trial)."""


def _asked(sessions, study_id: str) -> int:
    """How many trials the study has asked so far."""
    with sessions() as session:
        return len(trials_of(session, study_id))


def _age_batches(sessions, study_id: str) -> None:
    """Let the reaper's grace periods pass: the batches look created and started long ago."""
    long_ago = utcnow() - timedelta(minutes=10)
    with sessions.begin() as session:
        session.execute(
            update(StudyBatch)
            .where(StudyBatch.study_id == study_id)
            .values(created_at=long_ago, started_at=long_ago)
        )


def _reap(connection: Redis, sessions, env: dict, study_id: str) -> None:
    connection.delete(f"rq:clean_registries:{env['RQ_QUEUE']}")
    _age_batches(sessions, study_id)
    reap(connection, sessions, env["RQ_QUEUE"])


def _started_consumer(env: dict, sessions, study_id: str):
    """A consumer that has asked its batch's trials (and is evaluating them)."""
    before = _asked(sessions, study_id)
    proc = consumer(env)
    try:
        wait_until(lambda: _asked(sessions, study_id) > before, 60, 0.02, what="the ask")
    except TimeoutError:
        signal_pod(proc, signal.SIGKILL)
        raise AssertionError(finish(proc)[1]) from None
    return proc


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


def test_a_study_survives_killed_consumers_and_a_redis_restart(
    mysql_url, redis_server, tmp_path, monkeypatch
):
    """Kill a pod mid-batch, restart Redis empty, kill a work-horse mid-batch: the study
    still SUCCEEDS with exactly N_TRIALS counted trials, each FAIL retried once."""
    data = long_history(tmp_path / "data", "LONGCO", 5)
    monkeypatch.setenv("DATA_DIR", str(data))
    env = {
        **consumer_env(mysql_url, redis_server.url, tmp_path, monkeypatch),
        "DATA_DIR": str(data),
    }
    from tests.consumer.support import sessions_for

    sessions = sessions_for(env)
    connection = redis_server.client()
    queue = backtest_queue(connection, env["RQ_QUEUE"])
    planned = validate_study(BODY, data)
    study_id = planned.request.study_id
    with sessions() as session:
        submit(session, queue, BATCH, study_submission(planned, image_tag="test"))
    assert queue.count == 2

    first = _started_consumer(env, sessions, study_id)
    signal_pod(first, signal.SIGKILL)
    finish(first)  # reaped, its output read
    redis_server.restart_empty()
    connection = redis_server.client()
    queue = backtest_queue(connection, env["RQ_QUEUE"])
    assert queue.count == 0  # both initial batches' jobs are gone with Redis
    _reap(connection, sessions, env, study_id)
    assert queue.count == 2  # the killed RUNNING batch and the PENDING one, queued again

    second = _started_consumer(env, sessions, study_id)
    for horse in children(second.pid):
        os.kill(horse, signal.SIGKILL)
    code, log = finish(second)
    assert code == 0, log

    for _ in range(20):
        with sessions() as session:
            if get_study(session, study_id).status != "RUNNING":
                break
        if queue.count == 0:
            _reap(connection, sessions, env, study_id)
            continue
        code, log = finish(consumer(env))
        assert code == 0, log

    with sessions() as session:
        study = get_study(session, study_id)
        trials = trials_of(session, study_id)
        batches = batch_counts(session, study_id)
    assert study.status == "SUCCEEDED", (study.error_message, batches)
    states = [t.state for t in trials]
    assert set(states) <= {"COMPLETE", "PRUNED", "FAIL"}
    assert sum(1 for s in states if s in ("COMPLETE", "PRUNED")) == N_TRIALS
    assert [t.number for t in trials] == list(range(len(trials)))
    failed = [t for t in trials if t.state == "FAIL"]
    assert len(failed) >= 2 * BODY["batch_size"] - 1  # the pod's batch and the horse's
    by_number = {t.number: t for t in trials}
    for trial in failed:
        retry = by_number[trial.retried_as]
        assert retry.params_json == trial.params_json and retry.number > trial.number
    retried = [t.retried_as for t in failed]
    assert len(set(retried)) == len(retried)  # each FAIL asked again exactly once
    sessions.kw["bind"].dispose()
