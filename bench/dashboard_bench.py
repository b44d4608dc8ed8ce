"""Dashboard server times on MariaDB/MySQL with a realistic history (default 10,000 runs).

``python -m bench.dashboard_bench [--database-url URL] [--rows 10000] [--repeat 100]``

Creates a throw-away database on the server named by --database-url (default
TEST_DATABASE_URL), inserts ``--rows`` runs (85% SUCCEEDED, 10% FAILED, 5% unfinished,
spread over 5 tickers, every rule type and 90 days), of which ``--full-results`` carry a
real ~1 MB result (one ACME RSI backtest with charts, executed here) and the others a small
one. Then times, with Flask's test client (server time: routing, queries, templates; no
network), the run page of a finished run, the history page and ``/api/runs`` (first page,
deep page, filtered), the lookup the pages poll, the compare page and the exports, and
prints p50 / p95 / max in milliseconds with the index MariaDB chose for the history query.
The database is dropped at the end (``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "mysql+pymysql://root@127.0.0.1:3306/test"
TICKERS = ("ACME", "GLOBEX", "HOOLI", "INITECH", "UMBRELLA")
RUN_PAGE_BUDGET_MS = 200.0


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _time(client, url: str, repeat: int) -> tuple[list[float], int, int]:
    """(milliseconds per request, status, body bytes) of ``repeat`` GETs after a warm-up."""
    response = client.get(url)
    status, size = response.status_code, len(response.get_data())
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        response.get_data()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, status, size


def _real_result():
    """One real backtest: ACME, RSI defaults, 2015..2024, with charts."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute

    request = parse_request(
        {
            "ticker": "ACME",
            "rule_type": "RSI",
            "start_date": "2015-01-01",
            "end_date": "2024-12-31",
        }
    )
    return execute(request)


def _rows(count: int, full: int, result, rng: random.Random) -> list[dict]:
    """Rows for backtest_results: the first ``full`` SUCCEEDED rows carry the real result."""
    from kinds.runs.serialize import to_json
    from rules import RULES, rule_slug
    from work.status import FINISHED, RunStatus

    real_json = to_json(result)
    base_metrics = result.metrics
    request = result.request
    rule_types = list(RULES)
    start = datetime(2026, 1, 1)
    rows, full_left = [], full
    for i in range(count):
        draw = rng.random()
        status = (
            RunStatus.SUCCEEDED
            if draw < 0.85
            else RunStatus.FAILED
            if draw < 0.95
            else RunStatus.RUNNING
            if draw < 0.98
            else RunStatus.PENDING
        )
        rule_type = rule_types[i % len(rule_types)]
        run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = start + timedelta(seconds=i * 90 * 86400 / count)
        metrics = {
            key: (value * rng.uniform(0.5, 1.5) if isinstance(value, float) else value)
            for key, value in base_metrics.items()
        }
        run_request = {**request, "run_id": run_id, "rule_type": rule_type, "params": {}}
        finished = status in FINISHED
        result_json = None
        if status == RunStatus.SUCCEEDED:
            if full_left:
                result_json, full_left = real_json.replace(result.run_id, run_id), full_left - 1
            else:
                result_json = json.dumps({"run_id": run_id, "status": status, "metrics": metrics})
        rows.append(
            {
                "run_id": run_id,
                "ticker": TICKERS[i % len(TICKERS)],
                "rule_type": rule_type,
                "rule_id": rule_slug(rule_type, None),
                "params_json": "{}",
                "request_json": json.dumps(run_request),
                "status": status,
                "error_message": "ticker: synthetic failure"
                if status == RunStatus.FAILED
                else None,
                "metrics_json": json.dumps(metrics) if status == RunStatus.SUCCEEDED else None,
                "result_json": result_json,
                "data_hash": result.data_hash if status == RunStatus.SUCCEEDED else None,
                "engine_version": result.engine_version if finished else None,
                "image_tag": "bench",
                "attempts": 1 if status != RunStatus.PENDING else 0,
                "worker": "bench:1" if status != RunStatus.PENDING else None,
                "created_at": created,
                "started_at": created + timedelta(seconds=2)
                if status != RunStatus.PENDING
                else None,
                "completed_at": created + timedelta(seconds=4) if finished else None,
            }
        )
    return rows


def _insert(engine, rows: list[dict]) -> float:
    """Insert in batches (big results alone); return seconds taken."""
    from store.models import BacktestRun

    started = time.perf_counter()
    table = BacktestRun.__table__
    big = [row for row in rows if row["result_json"] and len(row["result_json"]) > 100_000]
    small = [row for row in rows if row not in big]
    with engine.begin() as connection:
        for row in big:
            connection.execute(table.insert(), row)
        for offset in range(0, len(small), 1000):
            connection.execute(table.insert(), small[offset : offset + 1000])
    return time.perf_counter() - started


def _explain(engine) -> str:
    """The index MariaDB uses for the history's first page."""
    from sqlalchemy import text

    with engine.connect() as connection:
        plan = connection.execute(
            text(
                "EXPLAIN SELECT run_id FROM backtest_results "
                "ORDER BY created_at DESC, run_id DESC LIMIT 50"
            )
        ).mappings()
        row = next(iter(plan))
    return f"key={row.get('key')} type={row.get('type')} rows={row.get('rows')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--full-results", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(PROJECT_ROOT))
    from sqlalchemy import create_engine, select, text
    from sqlalchemy.engine import make_url

    from store.db import create_schema, make_engine
    from store.models import BacktestRun
    from web import create_app
    from web.db import get_engine
    from work.status import RunStatus

    server = make_url(args.database_url)
    name = f"bt_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        create_schema(engine)
        started = time.perf_counter()
        result = _real_result()
        print(
            f"one real backtest (ACME RSI 2015-2024, charts): {time.perf_counter() - started:.2f} s"
        )
        rows = _rows(args.rows, args.full_results, result, random.Random(7))
        seconds = _insert(engine, rows)
        size = sum(len(row["result_json"] or "") for row in rows) / 1e6
        print(f"inserted {len(rows)} runs ({size:.0f} MB of result JSON) in {seconds:.1f} s")
        print(f"history query plan: {_explain(engine)}")

        with engine.connect() as connection:
            full_id = connection.execute(
                select(BacktestRun.run_id)
                .where(BacktestRun.status == RunStatus.SUCCEEDED)
                .where(text("LENGTH(result_json) > 100000"))
                .limit(1)
            ).scalar_one()
            compare_ids = connection.execute(
                select(BacktestRun.run_id)
                .where(text("LENGTH(result_json) > 100000"))
                .where(BacktestRun.run_id != full_id)
                .limit(4)
            ).scalars()
            compare_ids = [full_id, *compare_ids]
            lookup_ids = [row["run_id"] for row in rows[:200]]
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "REDIS_URL": args.redis_url,
                "IMAGE_TAG": "bench",
            }
        )
        client = app.test_client()
        pages = [
            ("run page (finished run, 1 MB result)", f"/runs/{full_id}"),
            ("/runs page 1", "/runs"),
            ("/runs page 100 (offset 4950)", "/runs?page=100"),
            ("/runs status+ticker filter", "/runs?status=SUCCEEDED&ticker=ACME"),
            ("/runs rule filter, page 10", "/runs?rule=RSI&page=10"),
            ("/api/runs page 1", "/api/runs"),
            ("/api/runs per_page=200 page 40", "/api/runs?per_page=200&page=40"),
            ("/api/runs status filter", "/api/runs?status=FAILED"),
            ("/api/runs/lookup (200 ids)", f"/api/runs/lookup?ids={','.join(lookup_ids)}"),
            ("/compare (5 runs)", f"/compare?ids={','.join(compare_ids)}"),
            ("/compare/curves.json (5 runs)", f"/compare/curves.json?ids={','.join(compare_ids)}"),
            ("/runs/<id>/result.json", f"/runs/{full_id}/result.json"),
            ("/runs/<id>/trades.csv", f"/runs/{full_id}/trades.csv"),
            ("/status/<id> (JSON API)", f"/status/{full_id}"),
        ]
        print(f"\nserver time over {args.repeat} requests each (Flask test client), ms:")
        print(f"{'endpoint':44} {'p50':>8} {'p95':>8} {'max':>8} {'status':>6} {'bytes':>10}")
        run_page_p95 = None
        for label, path in pages:
            samples, status, size = _time(client, path, args.repeat)
            p50, p95 = statistics.median(samples), _percentile(samples, 0.95)
            if run_page_p95 is None:
                run_page_p95 = p95
            print(f"{label:44} {p50:8.1f} {p95:8.1f} {max(samples):8.1f} {status:>6} {size:>10,}")
        verdict = "within" if run_page_p95 < RUN_PAGE_BUDGET_MS else "OVER"
        budget = f"{RUN_PAGE_BUDGET_MS:.0f} ms"
        print(f"\nrun page p95 {run_page_p95:.1f} ms: {verdict} the {budget} budget")
        get_engine(app).dispose()
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
