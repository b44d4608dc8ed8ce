"""The largest study the validator accepts, on MariaDB, with its batches run as eight Jobs at
once: eight worker processes, each with its own database connection, take the study's
batches as a queue would hand them out (each batch to one worker) and run each through the
consumer's skeleton (``work.lifecycle.run_item``: start, ask, evaluate, store with the
study's continuation, each transaction retried by ``work.retry``). Every batch SUCCEEDS,
every trial is stored exactly once (numbered 0..n_trials-1, none FAIL, none asked twice),
the study SUCCEEDS at its budget — concurrent batches and a reaper's pass on the study rows
take their locks in one order, so none of them loses an InnoDB deadlock."""

from __future__ import annotations

import contextlib
import multiprocessing
import queue as queue_module
import threading
import time
from typing import Any

import pytest

from kinds.studies.asking import insert_trials, reserve_trials, sample
from kinds.studies.fields import MAX_BATCH_SIZE, MAX_PARALLELISM, MAX_TRIALS
from kinds.studies.kind import BATCH
from kinds.studies.sampling import Asked
from kinds.studies.service import study_submission, validate_study
from kinds.studies.state import (
    fail_orphans,
    insert_asked,
    lock_study,
    open_batch_messages,
    reserved,
)
from kinds.studies.store import batch_counts, get_study, trial_counts
from store.db import create_schema, make_engine, make_sessionmaker
from store.dbapi import Database, as_tx
from tests.studies.support import valid_study
from work.kind import Claim

pytestmark = [pytest.mark.mysql]

LARGEST = {"n_trials": MAX_TRIALS, "batch_size": MAX_BATCH_SIZE, "parallelism": MAX_PARALLELISM}
"""The validator's accepted maximum: 20,000 trials in batches of 2,000, eight at once."""

SPACE = {
    "period": {"low": 2, "high": 40},
    "oversold": {"low": 10, "high": 45, "step": 0.5},
    "overbought": {"low": 55, "high": 90, "step": 0.5},
    "stop_loss_pct": {"low": 1, "high": 15, "step": 0.5},
}
"""Four parameters, as in the largest study the adversary ran."""

SAMPLER = "random"
"""The cheapest ask (it reads no trial; TPE's model at 18,000 trials costs seconds a batch of
2,000 here); every sampler asks and stores through the same transactions. The queued TPE
study of this size is the adversary campaign's ``large_study`` scenario."""

DEADLINE_S = 240
"""The study must end within this (it takes well under a minute on a quiet machine)."""

STOP = None


def _worker(url: str, batches: Any, results: Any) -> None:
    """One Job after another in this process (its own connection): run each batch handed
    out through the consumer's skeleton; report (batch_id, status or the error)."""
    import os

    from work.lifecycle import run_item

    os.environ["DATABASE_URL"] = url
    while True:
        message = batches.get()
        if message is STOP:
            return
        try:
            outcome = run_item(BATCH, message)["status"]
        except Exception as exc:  # a Job that raised: its batch would be retried or lost
            outcome = f"raised {type(exc).__name__}: {exc}"
        results.put((message["batch_id"], outcome))


def _hand_out(url: str, study_id: str, batches: Any, results: Any) -> list[tuple[str, str]]:
    """Queue every PENDING batch once (as RQ does: one job per batch id) until the study
    ended and every handed-out batch reported; what the workers reported."""
    database = Database(url)
    sessions = make_sessionmaker(make_engine(url))
    handed, reported = set(), []
    deadline = time.monotonic() + DEADLINE_S
    try:
        while time.monotonic() < deadline:
            with database.transaction() as tx:
                pending = open_batch_messages(tx, study_id)
            for message in pending:
                if message["batch_id"] not in handed:
                    handed.add(message["batch_id"])
                    batches.put(message)
            with contextlib.suppress(queue_module.Empty):
                reported.append(results.get(timeout=0.2))
            if any(outcome != "SUCCEEDED" for _, outcome in reported):
                return reported  # a batch failed or raised: fail now, not at the deadline
            with sessions() as session:
                ended = get_study(session, study_id).status in ("SUCCEEDED", "FAILED")
            if ended and len(reported) == len(handed):
                return reported
        raise AssertionError(f"the study did not end within {DEADLINE_S} s: {reported}")
    finally:
        database.close()
        sessions.kw["bind"].dispose()


def test_eight_concurrent_batches_of_the_largest_study_store_every_trial_once(
    mysql_url, tmp_path, monkeypatch
):
    """20,000 trials, batches of 2,000, eight Jobs at once: every batch SUCCEEDED on its
    first delivery, 20,000 trials numbered 0..19,999 each stored once and COMPLETE or
    PRUNED, the study SUCCEEDED — no deadlock lost, no computed trial thrown away."""
    monkeypatch.setenv("CLAIM_FILE", str(tmp_path / "claimed"))
    engine = make_engine(mysql_url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    body = valid_study(
        start_date="2023-01-01", end_date="2024-12-31", space=SPACE, sampler=SAMPLER, **LARGEST
    )
    planned = validate_study(body)
    study_id = planned.request.study_id
    with sessions.begin() as session:
        study_submission(planned, image_tag="test").insert(session, "sweep-test")

    context = multiprocessing.get_context("fork")
    batches, results = context.Queue(), context.Queue()
    workers = [
        context.Process(target=_worker, args=(mysql_url, batches, results))
        for _ in range(MAX_PARALLELISM)
    ]
    for worker in workers:
        worker.start()
    try:
        reported = _hand_out(mysql_url, study_id, batches, results)
    finally:
        for _ in workers:
            batches.put(STOP)
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()

    assert [outcome for _, outcome in reported] == ["SUCCEEDED"] * len(reported), reported
    assert len(reported) == MAX_TRIALS // MAX_BATCH_SIZE
    with sessions() as session:
        study = get_study(session, study_id)
        counts = trial_counts(session, [study_id])[study_id]
        batch_states = batch_counts(session, study_id)
        numbers = as_tx(session).fetchall(
            "SELECT number FROM study_trials WHERE study_id = ? ORDER BY number",
            (study_id,),
        )
    assert study.status == "SUCCEEDED", study.error_message
    assert batch_states == {"SUCCEEDED": MAX_TRIALS // MAX_BATCH_SIZE}
    assert set(counts) <= {"COMPLETE", "PRUNED"}, counts
    assert sum(counts.values()) == MAX_TRIALS
    assert [n for (n,) in numbers] == list(range(MAX_TRIALS))
    engine.dispose()


def test_the_reaper_failing_a_batch_while_a_batch_asks_does_not_deadlock(mysql_url, tmp_path):
    """A Job asking holds the study's lock; the reaper fails another batch of the study
    meanwhile (its Job died). The reaper queues for the study's lock before it touches the
    batch row, so the Job's ask goes on and both commit — neither loses a deadlock."""
    engine = make_engine(mysql_url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    planned = validate_study(valid_study(parallelism=2, n_trials=40, batch_size=10))
    study_id = planned.request.study_id
    with sessions.begin() as session:
        study_submission(planned, image_tag="test").insert(session, "sweep-test")
    asking, dead = f"{study_id}-b0", f"{study_id}-b1"
    database = Database(mysql_url)
    with database.transaction() as tx:
        for batch in (asking, dead):
            assert BATCH.mark_running(tx, Claim(batch, "test", 0.0))
        insert_asked(tx, study_id, dead, [Asked(n, {"period": 5}, {}, None) for n in range(10)])

    reaper_error: list[BaseException] = []

    def reaper_fails_the_dead_batch() -> None:
        try:
            with sessions() as session, session.begin():
                BATCH.mark_failed(session, dead, "crashed", expected=("RUNNING",))
        except BaseException as exc:  # reported below
            reaper_error.append(exc)

    reaper = threading.Thread(target=reaper_fails_the_dead_batch)
    try:
        with database.transaction() as tx:
            assert lock_study(tx, study_id) is not None  # the Job's ask holds the lock
            reaper.start()
            time.sleep(1.0)  # the reaper is waiting now (on the study's row, or its batch's)
            fail_orphans(tx, study_id, asking)  # the ask goes on
    finally:
        reaper.join(60)
        database.close()
    assert not reaper_error, reaper_error
    with sessions() as session:
        # the dead batch FAILED, and the study continued with a new batch in its place
        assert batch_counts(session, study_id) == {"RUNNING": 1, "FAILED": 1, "PENDING": 1}
        assert get_study(session, study_id).status == "PENDING"
    engine.dispose()


def test_two_batches_asking_at_once_reserve_the_budget_and_draw_different_points(mysql_url):
    """Two batches sample outside the study's lock at the same time: the second's
    reservation counts the first's (the budget of 15 leaves it 5 trials) and seeds its
    sampler past them, so they draw different points; inserted, they are numbered 0..9 and
    10..14 and no reservation is left."""
    engine = make_engine(mysql_url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    planned = validate_study(
        valid_study(parallelism=2, n_trials=15, batch_size=10, sampler="random")
    )
    study_id = planned.request.study_id
    with sessions.begin() as session:
        study_submission(planned, image_tag="test").insert(session, "sweep-test")
    first, second = f"{study_id}-b0", f"{study_id}-b1"
    database = Database(mysql_url)
    try:
        with database.transaction() as tx:
            for batch in (first, second):
                assert BATCH.mark_running(tx, Claim(batch, "test", 0.0))
        mine = reserve_trials(database, first, study_id)
        theirs = reserve_trials(database, second, study_id)
        assert (mine.count, theirs.count) == (10, 5)
        assert theirs.before == mine.before + 10
        drawn = sample(database, study_id, mine), sample(database, study_id, theirs)
        assert not {str(a.params) for a in drawn[0]} & {str(a.params) for a in drawn[1]}
        stored = [
            insert_trials(database, first, study_id, drawn[0]),
            insert_trials(database, second, study_id, drawn[1]),
        ]
        assert [[a.number for a in batch] for batch in stored] == [
            list(range(10)),
            list(range(10, 15)),
        ]
        with database.transaction() as tx:
            assert reserved(tx, study_id) == 0
    finally:
        database.close()
        engine.dispose()
