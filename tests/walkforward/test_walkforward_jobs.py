"""Folds as queued work on MariaDB + Redis with real consumer processes: the chunk that
finishes a fold's training sweep queues the fold, whose Job stores the choice and the test
run; a FAILED chunk fails its fold and the walk-forward; the reaper queues a fold whose
sweep finished without queueing it."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import update

from consumer import reaper
from kinds.sweeps.kind import CHUNK
from kinds.walkforward.service import submit_walkforward, validate_walkforward
from kinds.walkforward.store import folds_of, get_walkforward, sweep_states_of
from kinds.walkforward.view import Folded
from store.models import WalkForward, WalkForwardFold, utcnow
from tests.consumer.support import consumer, finish

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]  # consumer processes

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "2:26:2", "slow": [30, 40, 50, 60, 70]},
    "start_date": "2019-01-01",
    "end_date": "2020-12-31",
    "train_bars": 300,
    "test_bars": 200,
    "chunk_size": 50,
}


def _submit(sessions, queue, body: dict = BODY) -> str:
    planned = validate_walkforward(body, None)
    with sessions() as session:
        submit_walkforward(session, queue, planned, image_tag="test")
    return planned.request.walkforward_id


def _drain(env, queue, most: int = 10) -> None:
    """One one-shot consumer per queued item until the queue is empty."""
    for _ in range(most):
        if not queue.count:
            return
        code, log = finish(consumer(env))
        assert code == 0, log
    assert not queue.count


def _folded(sessions, walkforward_id: str) -> Folded:
    with sessions() as session:
        row = get_walkforward(session, walkforward_id)
        folds = folds_of(session, [walkforward_id])[walkforward_id]
        return Folded(row, folds, sweep_states_of(session, [f.sweep_id for f in folds]))


def test_the_last_chunk_queues_the_fold_and_the_fold_job_stores_its_choice(env, sessions, queue):
    """One fold, 65 combos in 2 chunks: two chunk Jobs, then the fold's Job (queued by the
    second chunk), then nothing: the fold SUCCEEDED with params, metrics and curves, and the
    walk-forward's outcome stored."""
    walkforward_id = _submit(sessions, queue)
    assert queue.count == 2
    _drain(env, queue)
    folded = _folded(sessions, walkforward_id)
    assert folded.status == "SUCCEEDED"
    result = folded.results[0]
    assert set(result["params"]) == {"fast", "slow"} and result["test_trades"] is not None
    assert len(result["test_curve"]["equity"]) == 200
    assert len(result["train_curve"]["equity"]) == 300
    # the fold that completed the walk-forward stored its outcome: one fold, so the
    # stitched curve is that fold's test run
    assert folded.row.oos_json is not None
    oos, wfe = folded.outcome
    assert oos["equity_curve"]["equity"] == result["test_curve"]["equity"]
    assert folded.row.oos_return_pct == result["test_metrics"]["total_return_pct"]
    assert wfe == folded.row.wfe
    with sessions.begin() as session:  # not stored (a hook that failed): computed alike
        session.execute(
            update(WalkForward)
            .where(WalkForward.walkforward_id == walkforward_id)
            .values(oos_json=None)
        )
    assert _folded(sessions, walkforward_id).outcome == (oos, wfe)


def test_a_failed_chunk_fails_its_fold_and_the_walkforward(env, sessions, queue):
    """Chunk 0 FAILED before it ran: the walk-forward shows FAILED at once; the other chunk's
    Job queues the fold, whose Job stores FAILED naming the sweep's error."""
    walkforward_id = _submit(sessions, queue)
    with sessions.begin() as session:
        fold = folds_of(session, [walkforward_id])[walkforward_id][0]
        CHUNK.mark_failed(session, f"{fold.sweep_id}-c0", "boom in chunk 0")
    assert _folded(sessions, walkforward_id).status == "FAILED"
    _drain(env, queue)
    folded = _folded(sessions, walkforward_id)
    assert folded.folds[0].status == "FAILED"
    assert "boom in chunk 0" in folded.folds[0].error_message
    assert folded.status == "FAILED"


def test_the_reaper_queues_a_fold_whose_sweep_finished_without_it(env, sessions, queue):
    """The fold's job vanished (deleted from Redis after the chunks queued it): a reaper
    pass past the grace queues it again and a consumer completes it."""
    walkforward_id = _submit(sessions, queue)
    for _ in range(2):
        code, log = finish(consumer(env))
        assert code == 0, log
    fold_id = f"{walkforward_id}-f0"
    assert queue.fetch_job(fold_id) is not None
    queue.remove(fold_id)
    queue.connection.delete(f"rq:job:{fold_id}")
    with sessions.begin() as session:
        session.execute(
            update(WalkForwardFold)
            .where(WalkForwardFold.fold_id == fold_id)
            .values(created_at=utcnow() - timedelta(hours=1))
        )
    with sessions() as session:
        report = reaper.reconcile(session, queue)
    assert fold_id in report.requeued
    _drain(env, queue)
    assert _folded(sessions, walkforward_id).status == "SUCCEEDED"


def test_an_hourly_walkforward_runs_on_date_time_windows_annualised_per_hour(env, sessions, queue):
    """VANDELAY (the hourly demo ticker, 1,764 bars a year): two folds whose sweeps and runs
    get UTC date-time windows, each test curve exactly its window's bars, and the stitched
    Sharpe annualised with √1764 (recomputed here from the stitched curve)."""
    body = {
        **BODY,
        "ticker": "VANDELAY",
        "timeframe": "1h",
        "grid": {"fast": [3, 5, 8], "slow": [20, 30]},
        "start_date": "2023-03-01",
        "end_date": "2023-06-30",
        "train_bars": 280,
        "test_bars": 140,
        "step_bars": 140,
    }
    walkforward_id = _submit(sessions, queue, body)
    _drain(env, queue, most=10)
    folded = _folded(sessions, walkforward_id)
    assert folded.status == "SUCCEEDED", [f.error_message for f in folded.folds]
    assert len(folded.folds) >= 2
    for fold, result in zip(folded.folds, folded.results, strict=True):
        test = json.loads(fold.payload_json)["test"]
        assert "T" in test["start_date"] and "T" in test["end_date"]
        stamps = result["test_curve"]["timestamps"]
        assert len(stamps) == 140
        assert stamps[0] == test["start"] and stamps[-1] == test["end"]
        assert test["start"][11:16] != "21:00"  # a bar's own hour, not a daily close
    oos, _ = folded.outcome
    equity = np.asarray(oos["equity_curve"]["equity"])
    returns = equity[1:] / equity[:-1] - 1
    expected = returns.mean() / returns.std(ddof=1) * np.sqrt(1764.0)
    assert oos["metrics"]["sharpe_ratio"] == pytest.approx(expected, rel=1e-12)
