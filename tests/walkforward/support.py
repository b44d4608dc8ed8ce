"""What the walk-forward tests share (no tests here): a walk-forward over the demo portfolio,
and every queued job of a walk-forward executed in this process as the consumers execute
them — its folds' training chunks, then each fold."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Flask
from redis import Redis

from kinds.sweeps.kind import CHUNK
from kinds.walkforward.kind import FOLD
from store import dbapi
from store.db import make_engine, make_sessionmaker
from tests.portfolios.support import valid_portfolio
from tests.sweeps.support import compute_queued_chunks
from work.connection import kind_queue_name
from work.kind import Claim
from work.queue import backtest_queue


def portfolio_walkforward(**fields: Any) -> dict[str, Any]:
    """A walk-forward over the demo momentum portfolio of 2019–2020 (``n`` × ``top_n``, 3
    folds × 4 points, every point eligible), with ``fields`` replaced or added."""
    body = {
        "kind": "portfolio",
        "base": valid_portfolio(start_date="2019-01-01", end_date="2020-12-31"),
        "grid": {"n": [10, 40], "top_n": [1, 2]},
        "train_bars": 200,
        "test_bars": 100,
        "min_trades": 0,
    }
    return {**body, **fields}


def execute_walkforward_jobs(app: Flask) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every chunk waiting on ``app``'s sweep queue computed and stored, then each fold
    those chunks complete (RUNNING, computed, stored, its ``finished`` hook): the folds'
    (message, result), in fold-id order. The fold's hook reads the process database
    (``dbapi.process_database``): the caller points it at ``app``'s."""
    queue = backtest_queue(
        Redis.from_url(app.config["REDIS_URL"]), kind_queue_name(CHUNK, app.config)
    )
    folds = {job.args[0]["on_complete"]["job_id"] for job in queue.jobs}
    compute_queued_chunks(app)
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    done = []
    for fold_id in sorted(folds):
        claim = Claim(fold_id, "test", time.time())
        with sessions.begin() as session:
            message = json.loads(FOLD.get(session, fold_id).message_json)
            assert FOLD.mark_running(session, claim)
        execution = FOLD.compute(claim, message)
        with sessions.begin() as session:
            assert execution.store(session)
        FOLD.finished(dbapi.process_database(), claim, message)
        done.append((message, execution.result))
    return done
