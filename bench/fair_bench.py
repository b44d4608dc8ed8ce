"""Submission cost against queue depth: ``POST /run_backtest`` server time with 1k, 10k and
100k items waiting on the run queue, of many clients.

    .venv/bin/python -m bench.fair_bench [--depths 1000,10000,100000] [--clients 100]
        [--posts 40]

It starts a private ``redis-server`` on a free port (``bench.fault_campaign.PrivateRedis``;
nothing else is touched) and an in-process web app (``AUTH_MODE=none``) on a scratch SQLite
file. For each depth it fills the run list directly with ids of ``--clients`` clients, as
submissions of theirs would have left it (``work.fair.note_clients`` + the list push, then
the module's own fair placement: ``place`` per client, or one ``interleave`` where the code
has no ``place``), then times ``--posts`` submissions (after ``WARM_UP`` untimed ones)
through the test client — half from clients with items waiting, half from new addresses —
and prints, per depth, the median and
p90 of the server time of one POST (Flask, the INSERT on SQLite, Redis) and the Redis time
per POST spent in scripts (``EVALSHA`` in ``INFO commandstats``). Run it on two checkouts to
compare codes: the fill uses only what both offer.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from redis import Redis

from bench.fault_campaign import PrivateRedis
from tests.web.support import app_with_schema, close_app, queue_key, valid_request, write_data_dir
from work import fair

WARM_UP = 5
"""Untimed posts before each depth's timed ones (SQLAlchemy compiles its statements once)."""


def fill(redis: Redis, key: str, depth: int, clients: int) -> None:
    """Queue ``depth`` ids of ``clients`` clients on ``key`` in fair order."""
    per_client = depth // clients
    for c in range(clients):
        client = f"addr:10.1.{c // 250}.{c % 250}"
        ids = [f"fill-{c:04d}-{i:07d}" for i in range(per_client)]
        fair.note_clients(redis, key, client, ids)
        for first in range(0, len(ids), 10_000):
            redis.rpush(key, *ids[first : first + 10_000])
        if hasattr(fair, "place"):
            fair.place(redis, key, client, ids)
    if not hasattr(fair, "place"):
        fair.interleave(redis, key)


def script_usec(redis: Redis) -> int:
    """Microseconds Redis spent in ``EVALSHA`` since the last stats reset."""
    stats = redis.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("usec", 0))


def measure(app, redis: Redis, depth: int, clients: int, posts: int) -> dict:
    key = queue_key(app)
    redis.delete(key)
    fill(redis, key, depth, clients)
    client = app.test_client()
    times = []
    for n in range(-WARM_UP, posts):
        if n == 0:
            times.clear()
            redis.config_resetstat()
        address = f"10.1.0.{n % clients}" if n % 2 == 0 else f"10.9.{depth % 250}.{n % 250}"
        began = time.perf_counter()
        answer = client.post(
            "/run_backtest", json=valid_request(), environ_base={"REMOTE_ADDR": address}
        )
        times.append(time.perf_counter() - began)
        assert answer.status_code == 202, answer.get_json()
    usec = script_usec(redis)
    assert redis.llen(key) == depth // clients * clients + WARM_UP + posts
    times.sort()
    return {
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(0.9 * (len(times) - 1))] * 1000,
        "redis_ms": usec / posts / 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", default="1000,10000,100000")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--posts", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fair-bench-") as tmp:
        root = Path(tmp)
        server = PrivateRedis(root)
        try:
            app = app_with_schema(
                f"sqlite:///{root / 'bench.db'}",
                server.url,
                write_data_dir(root / "data"),
                RUN_MAX_PENDING_PER_CLIENT=1_000_000,
                RATELIMIT_ENABLED=False,
            )
            redis = server.client()
            print(f"POST /run_backtest, {args.clients} clients waiting, {args.posts} posts")
            print(f"{'waiting':>9} {'median ms':>10} {'p90 ms':>8} {'redis scripts ms/post':>22}")
            try:
                for depth in (int(d) for d in args.depths.split(",")):
                    row = measure(app, redis, depth, args.clients, args.posts)
                    print(
                        f"{depth:>9,} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
                        f"{row['redis_ms']:>22.2f}"
                    )
            finally:
                redis.close()
                close_app(app)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
