"""A 500-ticker portfolio end to end through the real queue (goal: <= 0.8 s).

    .venv/bin/python -m bench.portfolio_queue_bench [--tickers 500] [--years 10]

``measure(n_tickers, years)`` writes that many synthetic daily tickers (seeded random
walks, a fifth of them listed late) to a temporary DATA_DIR, submits a monthly momentum
rotation (top 50 by ``roc(close, 63)`` above their 200-day average) with
``POST /api/portfolios`` (the web's own code, Flask's test client) on a fresh MariaDB
database and Redis, and lets one ``python -m consumer`` process take it: the figure is
submission to SUCCEEDED as the database records it (``completed_at - created_at``), and
the wall time around it, and the Job's own time (``started_at`` to ``completed_at``). The
portfolio runs twice: the first Job finds no binary copies of the files (``data.bars_cache``,
in a temporary BARS_CACHE_DIR) and parses the CSVs, writing them
(``portfolio_first_read_job_s``); the second reads the copies, as every Job on an imported
file does (the figures). Next to it, measured in the same run on the same queue, the peer
is one single-ticker run (RSI, 10 years) through the same path: the fixed cost of a queued
Job that the portfolio pays once for its whole universe. Each consumer process's CPU time
(start-up to exit, its work-horse included) is printed too: on a shared machine the wall
figures wait for the CPU, the CPU time does not.

Goals: submission to SUCCEEDED <= 0.8 s, the Job's own time <= 0.5 s.

Needs the MySQL server named by BENCH_DATABASE_URL (default the local MariaDB) and the Redis
named by BENCH_REDIS_URL (default 127.0.0.1:6379 db 12, as the other queue benches); a fresh
database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.job_cost_bench import REDIS_URL, SERVER_URL  # noqa: E402
from tests.databases import scratch_database  # noqa: E402

GOAL_SECONDS = 0.8
JOB_GOAL_SECONDS = 0.5
SEED = 20260426
BARS_PER_YEAR = 252
FIRST_DAY = np.datetime64("2010-01-04")


def write_universe(folder: Path, n_tickers: int, years: int) -> list[str]:
    """``n_tickers`` daily tickers of ``years`` × 252 weekdays (a fifth listed up to half
    way in), CSVs and their catalog in ``folder``; the tickers in order."""
    rng = np.random.default_rng(SEED)
    n_bars = years * BARS_PER_YEAR
    days = np.busday_offset(FIRST_DAY, np.arange(n_bars), roll="forward")
    texts = np.datetime_as_string(days, unit="D")
    catalog, tickers = {}, []
    for column in range(n_tickers):
        ticker = f"S{column:04d}"
        first = int(rng.integers(0, n_bars // 2)) if column % 5 == 0 else 0
        steps = rng.normal(0.0003, 0.015, n_bars - first)
        close = 50.0 * np.exp(np.cumsum(steps))
        open_ = close * np.exp(rng.normal(0, 0.003, close.size))
        high, low = np.maximum(open_, close) * 1.005, np.minimum(open_, close) * 0.995
        lines = ["Date,Open,High,Low,Close,Volume"]
        lines += [
            f"{d},{o:.4f},{h:.4f},{lo:.4f},{c:.4f},1000"
            for d, o, h, lo, c in zip(texts[first:], open_, high, low, close, strict=True)
        ]
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")
        catalog[ticker] = {"file": f"{ticker}.csv", "name": ticker, "synthetic": True}
        tickers.append(ticker)
    (folder / "catalog.json").write_text(json.dumps(catalog))
    return tickers


def _request(tickers: list[str], years: int) -> dict:
    last = str(np.busday_offset(FIRST_DAY, years * BARS_PER_YEAR - 1, roll="forward"))
    return {
        "tickers": tickers,
        "start_date": str(FIRST_DAY),
        "end_date": last,
        "fee_rate": 0.001,
        "slippage_bps": 5,
        "allocation": {
            "method": "rank",
            "score": "roc(close, $n)",
            "filter": "close > sma(close, 200)",
            "top_n": min(50, len(tickers)),
        },
        "rebalance": {"schedule": "monthly"},
        "params": {"n": 63},
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _consume(env: dict[str, str]) -> float:
    """One ``python -m consumer``; the CPU seconds of its whole process (and its work-horse)
    from start-up to exit: on a shared machine the steadier figure."""
    before = _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "consumer"], env=env, cwd=PROJECT_ROOT, capture_output=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stdout.decode()[-2000:] + done.stderr.decode()[-2000:])
    return _children_cpu() - before


def _through_queue(client, env, sessions, model, url: str, body: dict, key: str) -> dict:
    """POST ``body``, one consumer, the row's times: submit-to-SUCCEEDED seconds."""
    started = time.perf_counter()
    answer = client.post(url, json=body)
    if answer.status_code != 202:
        raise RuntimeError(answer.get_json())
    item_id = answer.get_json()[key]
    cpu = _consume(env)
    wall = time.perf_counter() - started
    with sessions() as session:
        row = session.get(model, item_id)
        if row.status != "SUCCEEDED":
            raise RuntimeError(f"{item_id} ended {row.status}: {row.error_message}")
        recorded = (row.completed_at - row.created_at).total_seconds()
        job = (row.completed_at - row.started_at).total_seconds()
    return {
        "submit_to_succeeded_s": round(recorded, 3),
        "job_s": round(job, 3),
        "wall_s": wall,
        "process_cpu_s": round(cpu, 3),
    }


def measure(n_tickers: int, years: int) -> dict:
    """The portfolio's figure and the single-run peer's (module docstring)."""
    from redis import Redis

    from store.db import create_schema, make_engine, make_sessionmaker
    from store.models import BacktestRun, Portfolio
    from web import create_app

    with tempfile.TemporaryDirectory() as work, scratch_database(SERVER_URL, "bench_pq") as url:
        folder = Path(work) / "data"
        folder.mkdir()
        tickers = write_universe(folder, n_tickers, years)
        engine = make_engine(url)
        create_schema(engine)
        sessions = make_sessionmaker(engine)
        queue = f"bench-pq-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "RQ_QUEUE": queue,
            "DATA_DIR": str(folder),
            "BARS_CACHE_DIR": f"{work}/bars",
            "CLAIM_FILE": f"{work}/claimed",
            "MPLCONFIGDIR": f"{work}/mpl",
            "LOG_LEVEL": "WARNING",
        }
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "REDIS_URL": REDIS_URL,
                "RQ_QUEUE": queue,
                "DATA_DIR": str(folder),
            }
        )
        client = app.test_client()
        try:
            first, ours = (
                _through_queue(
                    client,
                    env,
                    sessions,
                    Portfolio,
                    "/api/portfolios",
                    _request(tickers, years),
                    "portfolio_id",
                )
                for _ in range(2)
            )
            run = {
                "ticker": tickers[1],
                "rule_type": "RSI",
                "start_date": str(FIRST_DAY),
                "end_date": _request(tickers, years)["end_date"],
                "charts": False,
            }
            peer = _through_queue(client, env, sessions, BacktestRun, "/api/runs", run, "run_id")
        finally:
            Redis.from_url(REDIS_URL).delete(f"rq:queue:{queue}")
            engine.dispose()
    return {
        "tickers": n_tickers,
        "years": years,
        "portfolio_submit_to_succeeded_s": ours["submit_to_succeeded_s"],
        "portfolio_job_s": ours["job_s"],
        "portfolio_wall_s": round(ours["wall_s"], 3),
        "portfolio_process_cpu_s": ours["process_cpu_s"],
        "portfolio_first_read_job_s": first["job_s"],
        "one_ticker_run_submit_to_succeeded_s": peer["submit_to_succeeded_s"],
        "one_ticker_run_job_s": peer["job_s"],
        "one_ticker_run_process_cpu_s": peer["process_cpu_s"],
        "goal_s": GOAL_SECONDS,
        "meets_goal": ours["submit_to_succeeded_s"] <= GOAL_SECONDS,
        "job_goal_s": JOB_GOAL_SECONDS,
        "meets_job_goal": ours["job_s"] <= JOB_GOAL_SECONDS,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.portfolio_queue_bench")
    parser.add_argument("--tickers", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args(argv)
    figures = measure(args.tickers, args.years)
    print(f"portfolio of {args.tickers} tickers x {args.years} years through the queue:")
    for key, value in figures.items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
