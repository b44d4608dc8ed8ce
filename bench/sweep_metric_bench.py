"""Sorting and filtering a 100,000-combination sweep by a metric with a column and by one
stored in ``extra_metrics`` (a metric registered after the schema), on MariaDB/MySQL or
SQLite.

``python -m bench.sweep_metric_bench [--database-url URL] [--rows 100000] [--repeat 20]
[--code-root DIR]``

Creates a throw-away database (``tests.databases.scratch_database`` on the server of
--database-url, default TEST_DATABASE_URL; a temporary SQLite file for ``--database-url
sqlite://``), the schema, one sweep of ``--rows`` stored
combinations (random metrics; with ``extra_metrics``, two registered toy metrics per row,
and their ``sweep_metric_values`` rows where the code has that table),
then times the API's answers with Flask's test client (server time: routing, the query,
JSON; no network): the first page of ``/results`` sorted by a column metric (Sharpe) and
by an extra one, filtered by each (``min.<metric>``, about half the rows pass) and the
whole CSV export. Prints the median and best of ``--repeat`` in milliseconds.

``--code-root DIR`` runs the same against another checkout's code (e.g. the main branch
before ``extra_metrics`` existed: only what that code offers is timed), for a before/after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "mysql+pymysql://root@127.0.0.1:3306/test"
SWEEP_ID = "00000000-0000-4000-8000-000000000001"
EXTRA = ("bench_toy_a", "bench_toy_b")
"""The registered metrics the extra column holds (their function is never called here)."""


def _rows(count: int, columns: list[str], extra: bool, rng: random.Random) -> list[dict]:
    rows = []
    for combo_no in range(count):
        row = {
            "sweep_id": SWEEP_ID,
            "combo_no": combo_no,
            "chunk_no": combo_no // 1000,
            "ticker": "ACME",
            "params_json": json.dumps({"a": combo_no % 100, "b": combo_no // 100}),
        }
        for name in columns:
            row[name] = rng.randint(0, 200) if name == "num_trades" else rng.gauss(0.0, 1.0)
        if extra:
            row["extra_metrics"] = json.dumps(
                {key: rng.gauss(0.0, 1.0) for key in EXTRA}, separators=(",", ":")
            )
        rows.append(row)
    return rows


@contextmanager
def _database(url: str, scratch_database) -> Iterator[str]:
    """A throw-away database: a SQLite file in a temporary folder for a ``sqlite`` URL (the
    embedded default), else a scratch database on the server of ``url``."""
    if not url.startswith("sqlite"):
        with scratch_database(url, "bt_bench_metrics") as scratch:
            yield scratch
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


def _metric_values(rows: list[dict]) -> list[dict]:
    """The ``sweep_metric_values`` rows of ``rows``' ``extra_metrics``."""
    return [
        {
            "sweep_id": row["sweep_id"],
            "metric": key,
            "combo_no": row["combo_no"],
            "value": value,
            "negated": -value,
        }
        for row in rows
        for key, value in json.loads(row["extra_metrics"]).items()
    ]


def _time(client, url: str, repeat: int) -> tuple[float, float, int]:
    samples = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(url, buffered=True)  # a streamed CSV's session closes with it
        size = len(answer.get_data())
        samples.append((time.perf_counter() - started) * 1000.0)
        assert answer.status_code == 200, (url, answer.status_code, answer.get_data()[:200])
    return statistics.median(samples), min(samples), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--code-root", type=Path, default=PROJECT_ROOT)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(args.code_root.resolve()))
    sys.path.insert(1, str(PROJECT_ROOT))  # tests.databases, when the code root lacks it
    from sqlalchemy import insert

    from metrics import registry
    from store import models
    from store.db import create_schema, make_engine
    from store.models import Sweep, SweepResult, utcnow
    from tests.databases import scratch_database
    from web import create_app
    from web.db import get_engine

    extra = "extra_metrics" in SweepResult.__table__.columns
    values_model = getattr(models, "SweepMetricValue", None)
    if extra:
        for key in EXTRA:
            registry.register(registry.MetricDef(key, key, function="bench:unused"))
    columns = list(registry.SWEEP_METRIC_KEYS)
    print(
        f"code: {args.code_root} (extra_metrics: {'yes' if extra else 'no'}, "
        f"sweep_metric_values: {'yes' if values_model is not None else 'no'})"
    )
    with _database(args.database_url, scratch_database) as url:
        engine = make_engine(url)
        create_schema(engine)
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(
                insert(Sweep),
                [
                    {
                        "sweep_id": SWEEP_ID,
                        "rule_type": "SMA_CROSS",
                        "tickers": "ACME",
                        "request_json": json.dumps({"grid": {"a": [], "b": []}}),
                        "combos": args.rows,
                        "skipped": 0,
                        "chunks": args.rows // 1000,
                        "chunk_size": 1000,
                        "created_at": utcnow(),
                    }
                ],
            )
            rows = _rows(args.rows, columns, extra, random.Random(7))
            for first in range(0, len(rows), 5000):
                connection.execute(insert(SweepResult), rows[first : first + 5000])
            if values_model is not None:  # what a chunk writes beside its rows
                values = _metric_values(rows)
                for first in range(0, len(values), 5000):
                    connection.execute(insert(values_model), values[first : first + 5000])
        print(f"inserted {args.rows} results in {time.perf_counter() - started:.1f} s")
        app = create_app(
            {"TESTING": True, "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:1/0"}
        )
        client = app.test_client()
        base = f"/api/sweeps/{SWEEP_ID}/results"
        cases = [
            ("sort by a column metric (sharpe_ratio), page 1", f"{base}?sort=sharpe_ratio"),
            ("sort by a column metric, page 100", f"{base}?sort=sharpe_ratio&page=100"),
        ]
        if extra:
            cases += [
                ("sort by an extra metric, page 1", f"{base}?sort={EXTRA[0]}"),
                ("sort by an extra metric, page 100", f"{base}?sort={EXTRA[0]}&page=100"),
                ("filter by a column metric (min 0)", f"{base}?min.sharpe_ratio=0"),
                ("filter by an extra metric (min 0)", f"{base}?min.{EXTRA[0]}=0"),
                (
                    "filter by an extra metric, sort by a column one",
                    f"{base}?min.{EXTRA[0]}=0&sort=sharpe_ratio",
                ),
            ]
        cases.append(("CSV export (every row)", f"{base}.csv"))
        print(f"{'case':<52} {'median ms':>10} {'best ms':>9} {'bytes':>10}")
        for label, url_ in cases:
            repeat = max(1, args.repeat // 5) if url_.endswith(".csv") else args.repeat
            median, best, size = _time(client, url_, repeat)
            print(f"{label:<52} {median:>10.1f} {best:>9.1f} {size:>10}", flush=True)
        get_engine(app).dispose()  # its pooled connections would hold the DROP's lock
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
