"""A compactly stored sweep's heatmap and line at 1 M and 10 M combinations: the views
computed a chunk's arrays at a time (``kinds.sweeps.view.aggregate_batches``) against the
former row-by-row aggregation (``bench.sweep_view_reference``), in one run, with their
answers compared byte for byte.

    .venv/bin/python -m bench.sweep_heatmap_bench [--size 10m|1m] [--repeat 3]
        [--database-url URL]

Stores, in a throw-away database (``tests.databases.scratch_database`` on the server of
``--database-url``, default TEST_DATABASE_URL, else the local MariaDB; a temporary SQLite
file for ``sqlite://``), what ``bench.sweep_scale_bench``'s sweep of that size stores for
its views: the sweep row (compact: ``top_k`` 100) and its SUCCEEDED chunks, each with its
``sharpe_grid`` blob (``kinds.sweeps.evaluate.pack_sharpe_grid``). The grid is that
sweep's: RSI period 2..200 × oversold 1..50 × overbought 50..99 (oversold < overbought) on
20 tickers, 9,946,020 combinations in 200 chunks of 50,251 (``1m``: period 2..135 on 3
tickers, 1,004,598 in 21 chunks); the Sharpe ratios are random (normal, one in
twenty undefined, seeded), since the views' cost does not depend on them.

Then times, with Flask's test client (server time: the route, the blobs read, the
aggregation, the JSON; no network), ``--repeat`` times each, ours and the reference
alternated: the Sharpe heatmap period × oversold (max over overbought and the tickers, the
one ``sweep_scale_bench`` reads), the line over period (mean), and the heatmap period ×
ticker with overbought fixed (min). Prints each one's wall and CPU seconds (range over the
repeats) and whether the two answers are the same bytes. Goal: the 10 M heatmap in ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from unittest import mock

import numpy as np

DEFAULT_SERVER = "mysql+pymysql://root@127.0.0.1:3306/test"
SWEEP_ID = "00000000-0000-4000-8000-00000000c0de"
SIZES = {"1m": (135, 3), "10m": (200, 20)}
"""Per size: the largest RSI period and the number of tickers (``bench.sweep_scale_bench``'s
sweep of that size)."""

CHUNK_SIZE = 50_251
"""What the web sizes those sweeps' chunks to (596 bars)."""

VIEWS = (
    ("heatmap period × oversold, max", "heatmap", "x=period&y=oversold"),
    ("line over period, mean", "line", "x=period&agg=mean"),
    ("heatmap period × ticker, overbought 70, min", "heatmap", "x=period&y=ticker&agg=min"),
)


def grid(period_max: int) -> dict[str, list[int]]:
    return {
        "period": list(range(2, period_max + 1)),
        "oversold": list(range(1, 51)),
        "overbought": list(range(50, 100)),
    }


def positions(values: dict[str, list[int]]) -> np.ndarray:
    """The grid positions of one ticker's combinations in combo order (``itertools.product``
    of the values, oversold < overbought kept), uint8 as stored."""
    sizes = [len(v) for v in values.values()]
    at = np.indices(sizes, dtype=np.int64).reshape(len(sizes), -1).T
    oversold = np.asarray(values["oversold"])[at[:, 1]]
    overbought = np.asarray(values["overbought"])[at[:, 2]]
    return at[oversold < overbought].astype(np.uint8)


@contextmanager
def database(url: str) -> Iterator[str]:
    """A throw-away database: a SQLite file for a ``sqlite`` URL, else a scratch database
    on the server of ``url``."""
    if url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    from tests.databases import scratch_database

    with scratch_database(url, "bt_bench_heatmap") as scratch:
        yield scratch


def store(url: str, size: str) -> int:
    """The sweep of ``size`` stored compactly, as its chunks leave it; its combinations."""
    from sqlalchemy import insert

    from kinds.sweeps.evaluate import pack_sharpe_grid
    from store.db import create_schema, make_engine
    from store.models import Sweep, SweepChunk, utcnow
    from work.status import RunStatus
    from work.transitions import new_item

    period_max, n_tickers = SIZES[size]
    values = grid(period_max)
    tickers = [f"GOOG{chr(ord('A') + i)}" for i in range(n_tickers)]
    places = positions(values)
    per_ticker = len(places)
    chunk_size = CHUNK_SIZE
    n_chunks = n_tickers * -(-per_ticker // chunk_size)
    rng = np.random.default_rng(56)
    engine = make_engine(url)
    create_schema(engine)
    request = {"sweep_id": SWEEP_ID, "tickers": tickers, "rule_type": "RSI", "grid": values}
    chunk_no = 0
    with engine.begin() as connection:
        connection.execute(
            insert(Sweep),
            [
                {
                    "sweep_id": SWEEP_ID,
                    "rule_type": "RSI",
                    "tickers": ",".join(tickers),
                    "request_json": json.dumps(request, separators=(",", ":")),
                    "combos": per_ticker * n_tickers,
                    "skipped": 0,
                    "chunks": n_chunks,
                    "chunk_size": chunk_size,
                    "created_at": utcnow(),
                    "top_k": 100,
                }
            ],
        )
    for t, ticker in enumerate(tickers):
        for first in range(0, per_ticker, chunk_size):
            at = places[first : first + chunk_size]
            sharpe = rng.normal(0.3, 0.6, len(at))
            sharpe[rng.random(len(at)) < 0.05] = np.nan
            with engine.begin() as connection:
                connection.execute(
                    insert(SweepChunk),
                    [
                        {
                            **new_item("sweep", utcnow()),
                            "status": RunStatus.SUCCEEDED,
                            "chunk_id": f"{SWEEP_ID}-{chunk_no:05d}",
                            "sweep_id": SWEEP_ID,
                            "chunk_no": chunk_no,
                            "ticker": ticker,
                            "combo_first": t * per_ticker + first,
                            "combo_count": len(at),
                            "payload_json": "{}",
                            "sharpe_grid": pack_sharpe_grid(sharpe, at),
                        }
                    ],
                )
            chunk_no += 1
    engine.dispose()
    return per_ticker * n_tickers


def reference():
    """The route served by the former row-by-row aggregation (``bench.sweep_view_reference``)."""
    from bench.sweep_view_reference import reference_aggregate, reference_metric_rows

    return mock.patch.multiple(
        "web.api.sweeps",
        aggregate_batches=reference_aggregate,
        metric_batches=lambda session, row, metric, dims: reference_metric_rows(
            session, row, metric
        ),
    )


def timed(client, path: str, patched) -> tuple[float, float, bytes]:
    """(wall s, CPU s, body) of one GET."""
    with patched:
        wall, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert answer.status_code == 200, (path, answer.status_code, answer.get_data()[:300])
    return wall, cpu, answer.get_data()


def spread(samples: list[float]) -> str:
    low, high = min(samples), max(samples)
    return f"{low:.2f} s" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep_heatmap_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", choices=tuple(SIZES), default="10m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER
    )
    args = parser.parse_args(argv)
    from web import create_app
    from web.db import get_engine

    print(
        f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; "
        "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    )
    with database(args.database_url) as url:
        started = time.perf_counter()
        combos = store(url, args.size)
        print(
            f"{args.size}: {combos:,} combinations stored compactly in chunks of "
            f"{CHUNK_SIZE:,} ({url.split(':', 1)[0]}) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        app = create_app(
            {"TESTING": True, "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0"}
        )
        client = app.test_client()
        base = f"/api/sweeps/{SWEEP_ID}"
        for label, route, query in VIEWS:
            if "ticker" in query:
                query += "&fix.overbought=70"
            path = f"{base}/{route}?metric=sharpe_ratio&{query}"
            ours, theirs, same = [], [], True
            for _ in range(args.repeat):
                wall, cpu, body = timed(client, path, nullcontext())
                ours.append((wall, cpu))
                wall, cpu, expected = timed(client, path, reference())
                theirs.append((wall, cpu))
                same = same and body == expected
            cells = json.loads(body)["count"]
            cells = sum(len(row) for row in cells) if isinstance(cells[0], list) else len(cells)
            print(
                f"  {label} ({cells:,} cells): ours {spread([w for w, _ in ours])} wall, "
                f"{spread([c for _, c in ours])} CPU; row by row (the former code) "
                f"{spread([w for w, _ in theirs])} wall, {spread([c for _, c in theirs])} CPU; "
                f"answers {'the same bytes' if same else 'DIFFER'} ({len(body):,} B)",
                flush=True,
            )
        print("load {:.2f} {:.2f} {:.2f} after".format(*os.getloadavg()))
        get_engine(app).dispose()  # its pooled connections would hold the DROP's lock
    return 0


if __name__ == "__main__":
    sys.exit(main())
