"""Helpers shared by the sweep and walk-forward tests (no tests here): an app on a fresh SQLite
schema with its own queue, the chunk messages waiting on that app's sweep queue, a chunk
evaluated and stored in-process the way a consumer does it, a one-chunk sweep's rows beside
their runs alone, and the check that a stored row holds its combination's run alone."""

from __future__ import annotations

from typing import Any

from flask import Flask
from redis import Redis
from sqlalchemy.orm import sessionmaker

from kinds.sweeps.contract import parse_chunk
from kinds.sweeps.search_sweep import evaluate_chunk
from kinds.sweeps.store import mark_chunk_running, store_chunk_results
from metrics import SWEEP_METRIC_KEYS
from store.db import create_schema, make_engine, make_sessionmaker
from web import create_app
from work.queue import backtest_queue

SWEEP_QUEUE = "sweep-test-sweeps"
"""Where the app of RQ_QUEUE "sweep-test" queues sweep chunks (SWEEP_QUEUE's default)."""


def sweep_app(sqlite_url: str, redis_url: str, **settings: Any) -> Flask:
    """An app on a fresh SQLite schema and queue "sweep-test", with ``settings`` on top."""
    create_schema(make_engine(sqlite_url))
    base = {"TESTING": True, "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url}
    return create_app({**base, "RQ_QUEUE": "sweep-test", **settings})


def queued_chunks(redis_url: str) -> list[dict]:
    """The chunk messages waiting on SWEEP_QUEUE, oldest first."""
    return [job.args[0] for job in backtest_queue(Redis.from_url(redis_url), SWEEP_QUEUE).jobs]


def store_chunk(sessions: sessionmaker, payload: dict, worker: str = "test") -> None:
    """What a consumer does with a chunk message: evaluate it, then mark it RUNNING by
    ``worker`` and store its results, block statistics and Sharpe ratios on the grid in one
    transaction."""
    chunk = evaluate_chunk(parse_chunk(payload))
    with sessions.begin() as session:
        mark_chunk_running(session, payload["chunk_id"], worker)
        store_chunk_results(
            session,
            payload["chunk_id"],
            chunk.rows,
            block_stats=chunk.block_stats,
            sharpe_grid=chunk.sharpe_grid,
        )


def compute_queued_chunks(app: Flask) -> int:
    """What the consumers do with every chunk waiting on ``app``'s sweep queue: compute it
    with the chunk kind's own code (``CHUNK.compute``: a run sweep's or a search sweep's),
    mark it RUNNING and store it; the queue is emptied. Returns how many."""
    import time

    from kinds.sweeps.kind import CHUNK
    from work.connection import kind_queue_name
    from work.kind import Claim

    queue = backtest_queue(
        Redis.from_url(app.config["REDIS_URL"]), kind_queue_name(CHUNK, app.config)
    )
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    payloads = [job.args[0] for job in queue.jobs]
    for payload in payloads:
        claim = Claim(payload["chunk_id"], "test", time.time())
        execution = CHUNK.compute(claim, payload)
        with sessions.begin() as session:
            assert CHUNK.mark_running(session, claim)
            assert execution.store(session)
    queue.empty()
    return len(payloads)


def chunk_rows(sweep: Any, size: int = 50) -> list[dict]:
    """The rows of a sweep planned as one chunk (``size`` combinations at most), evaluated
    in-process as a consumer evaluates it."""
    from kinds.sweeps.contract import chunk_payload, plan_chunks

    (chunk,) = plan_chunks(sweep.grid.combos, sweep.tickers, size)
    return evaluate_chunk(parse_chunk(chunk_payload(sweep, chunk))).rows


def alone(sweep: Any, row: dict, ticker: str = "ACME") -> tuple[dict, dict]:
    """(the run request of ``row``'s combination on ``ticker``, that run's metrics when it
    runs alone, charts off)."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute
    from kinds.sweeps.contract import combo_run_request

    body = combo_run_request(sweep.to_dict(), ticker, row["params"])
    return body, execute(parse_request({**body, "charts": False})).metrics


def holds_its_run(row: dict, metrics: dict) -> bool:
    """Whether a sweep's stored ``row`` has exactly the metrics (``SWEEP_METRIC_KEYS``) of
    its combination's run alone (``metrics``; None where both have none)."""
    return all(row[name] == metrics[name] for name in SWEEP_METRIC_KEYS)
