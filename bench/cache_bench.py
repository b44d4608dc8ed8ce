"""The result cache on this machine: an identical run answered from a stored result, next
to the same run through a Job (MariaDB + Redis, the real web app and local scaler).

    .venv/bin/python -m bench.cache_bench [--submissions 200] [--jobs 5] [--redis-url URL]

1. The same run through a Job: submit-to-SUCCEEDED of ``--jobs`` submissions with
   ``cache: false`` (RSI on ACME 2014-2024 with every chart, a result of about 1 MB), the
   local scaler starting one consumer per run (the committed keda/scaledjob.yaml).
2. The cached answer: ``--submissions`` identical POSTs of the same request (``cache``
   left at its default), each answered 202 SUCCEEDED with ``cached_from``: the POST's round
   trip is the whole wait (the run is finished when it answers). p50 / p95, and the size of
   the result each one copied inside the database.

Needs the MySQL server named by BENCH_DATABASE_URL (default the local MariaDB) and Redis at
``--redis-url`` (flushed before and after: give it a database of its own); a fresh database
is created and dropped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests
from redis import Redis

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.job_cost_bench import REDIS_URL, SERVER_URL  # noqa: E402
from bench.lifecycle_bench import REQUEST, percentile  # noqa: E402
from tests.databases import scratch_database  # noqa: E402
from tests.stack import LocalStack, wait_until  # noqa: E402
from work.status import RunStatus  # noqa: E402


def through_jobs(stack: LocalStack, count: int) -> tuple[list[float], str]:
    """Submit-to-SUCCEEDED seconds of ``count`` runs of REQUEST with ``cache: false``, one
    after the other; and the last one's id (a source for the cache)."""
    times, run_id = [], ""
    for _ in range(count):
        start = time.perf_counter()
        answer = stack.submit({**REQUEST, "cache": False}).json()
        run_id = answer["run_id"]
        wait_until(
            lambda run_id=run_id: stack.status(run_id)["status"] == RunStatus.SUCCEEDED,
            300,
            interval=0.05,
        )
        times.append(time.perf_counter() - start)
    return times, run_id


def cached_answers(stack: LocalStack, count: int) -> list[float]:
    """Seconds of ``count`` identical POSTs, each checked to be a cache hit."""
    times = []
    with requests.Session() as session:
        for _ in range(count):
            start = time.perf_counter()
            response = session.post(f"{stack.base_url}/run_backtest", json=REQUEST, timeout=30)
            times.append(time.perf_counter() - start)
            body = response.json()
            assert body["status"] == RunStatus.SUCCEEDED and body["cached_from"], body
    return times


def report(args: argparse.Namespace, database_url: str, work: Path) -> None:
    stack = LocalStack(database_url, args.redis_url, work / "stack")
    stack.start()
    try:
        jobs, source = through_jobs(stack, args.jobs)
        size = len(requests.get(f"{stack.base_url}/runs/{source}/result.json", timeout=30).content)
        cached = cached_answers(stack, args.submissions)
    finally:
        stack.stop()
    print("RSI on ACME 2014-2024, every chart; MariaDB, the web app and the local scaler")
    print(
        f"1. through a Job (cache: false)   p50 {percentile(jobs, 0.5) * 1000:8.1f} ms   "
        f"p95 {percentile(jobs, 0.95) * 1000:8.1f} ms   (n={len(jobs)}, submit to SUCCEEDED)"
    )
    print(
        f"2. from the result cache          p50 {percentile(cached, 0.5) * 1000:8.1f} ms   "
        f"p95 {percentile(cached, 0.95) * 1000:8.1f} ms   (n={len(cached)}, the POST; "
        f"result {size / 1024:.0f} KiB copied in the database)"
    )
    print(f"   speed-up at p50: {percentile(jobs, 0.5) / percentile(cached, 0.5):.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"(default {REDIS_URL})")
    args = parser.parse_args()
    Redis.from_url(args.redis_url).flushdb()
    work = Path(tempfile.mkdtemp(prefix="cache-bench-"))
    try:
        with scratch_database(SERVER_URL, "bench") as database_url:
            report(args, database_url, work)
    finally:
        Redis.from_url(args.redis_url).flushdb()


if __name__ == "__main__":
    main()
