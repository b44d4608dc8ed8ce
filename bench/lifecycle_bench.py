"""Run lifecycle on this machine: latency, throughput, API under load (MariaDB + Redis).

    .venv/bin/python -m bench.lifecycle_bench [--runs 200] [--latency-samples 15]

1. Submit-to-SUCCEEDED latency of a single run (web + local scaler, the committed
   keda/scaledjob.yaml with its pollingInterval, and with pollingInterval 1): p50 / p95.
2. Throughput of N runs submitted at once (runs/minute), against the limit set by the CPU
   time one consumer process needs (cores × 60 / CPU seconds per run); the end is watched
   in the database, so the harness takes no CPU from the consumers it measures.
3. POST /run_backtest and GET /status/<id> under 50 concurrent clients against gunicorn
   (the container's command, WEB_CONCURRENCY workers): p50 / p99 and requests/s.

Needs the MySQL server named by BENCH_DATABASE_URL (default the local MariaDB) and Redis
on 127.0.0.1:6379 (db 12); a fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from redis import Redis

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.job_cost_bench import REDIS_URL, SERVER_URL, QueueJobs  # noqa: E402
from tests.databases import scratch_database  # noqa: E402
from tests.stack import LocalStack, free_port, wait_until  # noqa: E402
from work.status import RunStatus  # noqa: E402

REQUEST = {
    "ticker": "ACME",
    "rule_type": "RSI",
    "start_date": "2014-01-01",
    "end_date": "2024-12-31",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(database_url: str, workdir: Path, samples: int, polling: int | None) -> list[float]:
    stack = LocalStack(database_url, REDIS_URL, workdir, polling_interval=polling)
    stack.start()
    try:
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            run_id = stack.submit(REQUEST).json()["run_id"]
            wait_until(
                lambda run_id=run_id: stack.status(run_id)["status"] == RunStatus.SUCCEEDED,
                120,
                interval=0.05,
            )
            times.append(time.perf_counter() - start)
        return times
    finally:
        stack.stop()


def cpu_seconds_per_run(database_url: str, workdir: Path) -> float:
    """User + system CPU of one queue-mode ``python -m consumer`` (imports, RQ, the forked
    work-horse, the database writes) taking one queued REQUEST run: median of 5."""
    jobs = QueueJobs(database_url, str(workdir))
    try:
        jobs.consume(REQUEST)  # warm-up: matplotlib builds its font list in a new MPLCONFIGDIR
        return statistics.median(jobs.consume(REQUEST) for _ in range(5))
    finally:
        jobs.close()


def throughput(database_url: str, workdir: Path, runs: int) -> float:
    """Seconds from the first POST to the last of ``runs`` runs SUCCEEDED.

    The end is watched in the database (one COUNT every 0.2 s), not by polling
    ``GET /status/<id>`` for every run: that polling cost the web about a core of this
    2-core machine and so measured the harness as much as the platform."""
    from sqlalchemy import func, select

    from store.db import make_engine, make_sessionmaker
    from store.models import BacktestRun

    stack = LocalStack(database_url, REDIS_URL, workdir).start()
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)

    def finished(status: str) -> int:
        with sessions() as session:
            return session.scalar(
                select(func.count())
                .select_from(BacktestRun)
                .where(BacktestRun.run_id.in_(run_ids), BacktestRun.status == status)
            )

    try:
        start = time.perf_counter()
        run_ids = [stack.submit(REQUEST).json()["run_id"] for _ in range(runs)]
        wait_until(
            lambda: finished(RunStatus.SUCCEEDED) + finished(RunStatus.FAILED) == runs,
            1800,
            interval=0.2,
            what=f"{runs} runs to finish",
        )
        elapsed = time.perf_counter() - start
        assert finished(RunStatus.SUCCEEDED) == runs, "every run must succeed"
        return elapsed
    finally:
        stack.stop()
        engine.dispose()


def api_load(database_url: str, workdir: Path, clients: int, per_client: int) -> dict:
    """gunicorn + 50 threads; no scaler, so POSTed runs stay queued (flushed after)."""
    from store.db import create_schema, make_engine

    create_schema(make_engine(database_url))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": f"load-{uuid.uuid4().hex[:6]}",
        "LOG_LEVEL": "WARNING",
    }
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--threads",
            "4",
            "web:create_app()",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _up(base), 30)
        local = threading.local()

        def session() -> requests.Session:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            return local.session

        def post(_):
            start = time.perf_counter()
            response = session().post(f"{base}/run_backtest", json=REQUEST, timeout=30)
            assert response.status_code == 202, response.text
            return time.perf_counter() - start, response.json()["run_id"]

        results = {}
        with ThreadPoolExecutor(clients) as pool:
            start = time.perf_counter()
            posted = list(pool.map(post, range(clients * per_client)))
            results["POST /run_backtest"] = ([t for t, _ in posted], time.perf_counter() - start)
            ids = [run_id for _, run_id in posted]

            def get(i):
                begin = time.perf_counter()
                response = session().get(f"{base}/status/{ids[i % len(ids)]}", timeout=30)
                assert response.status_code == 200
                return time.perf_counter() - begin

            start = time.perf_counter()
            gets = list(pool.map(get, range(clients * per_client)))
            results["GET /status/<id>"] = (gets, time.perf_counter() - start)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        Redis.from_url(REDIS_URL).flushdb()


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/health", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def report(args: argparse.Namespace, database_url: str, work: Path) -> None:
    """Print the three parts on the database of ``database_url``."""
    print("1. submit-to-SUCCEEDED latency of one run (RSI, ACME 2014-2024, all charts)")
    for label, polling in (("manifest pollingInterval", None), ("pollingInterval 1 s", 1)):
        times = latency(database_url, work / f"lat-{polling}", args.latency_samples, polling)
        print(
            f"   {label:26s} p50 {percentile(times, 0.5):6.2f} s   "
            f"p95 {percentile(times, 0.95):6.2f} s   (n={len(times)})"
        )

    cpu = cpu_seconds_per_run(database_url, work / "cpu")
    cores = os.cpu_count() or 1
    limit = cores * 60 / cpu
    elapsed = throughput(database_url, work / "throughput", args.runs)
    rate = args.runs / elapsed * 60
    print(f"2. throughput of {args.runs} runs submitted at once (local scaler, max replicas)")
    print(f"   CPU time of one queue-mode consumer {cpu:6.2f} s")
    print(f"   limit: {cores} cores x 60 / CPU time  {limit:6.1f} runs/min")
    print(f"   measured                            {rate:6.1f} runs/min  ({elapsed:.1f} s)")
    print(f"   share of the limit                  {rate / limit:6.0%}")

    print(f"3. API under {args.clients} concurrent clients (gunicorn)")
    for name, (times, wall) in api_load(
        database_url, work / "load", args.clients, args.requests_per_client
    ).items():
        print(
            f"   {name:20s} p50 {percentile(times, 0.5) * 1000:7.1f} ms   "
            f"p99 {percentile(times, 0.99) * 1000:7.1f} ms   {len(times) / wall:7.0f} req/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--latency-samples", type=int, default=15)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests-per-client", type=int, default=20)
    args = parser.parse_args()
    Redis.from_url(REDIS_URL).flushdb()
    work = Path(tempfile.mkdtemp(prefix="lifecycle-bench-"))
    try:
        with scratch_database(SERVER_URL, "bench") as database_url:
            report(args, database_url, work)
    finally:
        Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    main()
