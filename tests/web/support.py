"""Helpers shared by the tests/test_web_*.py modules (no tests here): a small data directory,
an app built on a given database and Redis (also served on a loopback port), and a valid run
request.

Each test module wraps these in its own fixtures, on top of tests/conftest.py's
``sqlite_url`` / ``mysql_url`` (a real database) and ``redis_url`` (a real, emptied Redis db).
"""

from __future__ import annotations

import gc
import json
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete

from data import Catalog, TickerInfo, save_catalog
from store import dbapi
from store.db import create_schema
from store.models import BacktestRun, Base, StrategyPreset
from tests import loopback
from tests.databases import seed_sqlite_schema
from web import create_app
from web.db import get_engine
from web.queue import get_run_queue
from web.telemetry import telemetry_redis

QUEUE_PREFIX = "web-tests-"
"""Each test app gets its own RQ_QUEUE (this prefix and a random suffix), which proves the
setting is used and keeps tests that share the Redis test db from seeing each other's jobs."""

CLOSED_REDIS = "redis://127.0.0.1:1/0"
"""Nothing listens on port 1: every Redis command fails with a connection error."""

CLOSED_MYSQL = "mysql+pymysql://root@127.0.0.1:1/nowhere"
"""Nothing listens on port 1: every query fails with OperationalError."""

TICKER = "TESTCO"
"""The one ticker of the test data directory: weekdays from FIRST_DAY, BARS of them."""

FIRST_DAY = date(2021, 1, 4)
BARS = 120


def weekdays(first: date, count: int) -> list[date]:
    """The first ``count`` weekdays from ``first`` (inclusive)."""
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def write_data_dir(root: Path) -> Path:
    """A DATA_DIR holding TESTCO.csv (a zig-zag price series) and its catalog entry."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["Date,Open,High,Low,Close,Volume"]
    for i, day in enumerate(weekdays(FIRST_DAY, BARS)):
        close = 100.0 + (i % 20 if (i // 20) % 2 == 0 else 20 - i % 20)
        open_ = close - 0.5
        lines.append(f"{day},{open_:.2f},{close + 1:.2f},{open_ - 1:.2f},{close:.2f},1000")
    (root / f"{TICKER}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    info = TickerInfo(TICKER, "Test Company", f"{TICKER}.csv", True, "zig-zag test prices")
    save_catalog(Catalog(root).with_entry(info))
    return root


def build_app(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> Flask:
    """A TESTING app on these services and data (creates no tables, connects to nothing)."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": QUEUE_PREFIX + uuid.uuid4().hex[:12],
        "IMAGE_TAG": "test-tag",
        "DATA_DIR": str(data_dir),
    }
    return create_app({**config, **overrides})


def app_with_schema(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> Flask:
    """``build_app`` with the schema created and both tables emptied (a session-scoped MySQL
    database is shared by the tests that use it). A new SQLite file starts as a copy of the
    schema made once (``seed_sqlite_schema``); ``create_schema`` then finds it complete."""
    seed_sqlite_schema(database_url)
    app = build_app(database_url, redis_url, data_dir, **overrides)
    engine = get_engine(app)
    create_schema(engine)
    with engine.begin() as connection:
        connection.execute(delete(BacktestRun))
        connection.execute(delete(StrategyPreset))
    return app


@contextmanager
def as_new(app: Flask, data_dir: Path) -> Iterator[Flask]:
    """``app`` for the block as a new one would be, reading ``data_dir``: no row in any table
    of the models (as ``app_with_schema`` leaves a new SQLite file); its configuration as it
    was before the block again after it. For an app a test module shares
    (``tests/web/conftest.py``); Redis is ``redis_url``'s to empty."""
    with get_engine(app).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):  # children before their parents
            connection.execute(table.delete())
    built = dict(app.config)
    app.config["DATA_DIR"] = str(data_dir)
    try:
        yield app
    finally:
        app.config.clear()
        app.config.update(built)


def app_with_data(database_url: str, redis_url: str, tmp_path: Path) -> Flask:
    """``app_with_schema`` on a fresh data directory (``write_data_dir``) under ``tmp_path``."""
    return app_with_schema(database_url, redis_url, write_data_dir(tmp_path / "data"))


def queue_key(app: Flask) -> str:
    """The Redis list of ``app``'s waiting run ids (``rq:queue:<RQ_QUEUE>``)."""
    return f"rq:queue:{app.config['RQ_QUEUE']}"


def close_app(app: Flask) -> None:
    """Release the app's pooled database connections and its Redis client."""
    get_engine(app).dispose()
    get_run_queue(app).redis.close()
    telemetry_redis(app).close()


def serve(app: Flask) -> Iterator[Flask]:
    """Yield ``app`` and close it after the test (for use in a fixture)."""
    try:
        yield app
    finally:
        close_app(app)


def handled(client: Any, method: str, path: str, **request: Any) -> tuple[Any, float]:
    """The test client's answer to a request and the CPU seconds of the thread that handled
    it (the test's own: the web's cost of the request, not the wait for a core of a machine
    the suite shares), without a garbage collection in them: in a test process that has
    imported the whole suite a full collection alone costs most of a second of that thread
    (0.91 s once, in a refusal bounded at 0.2), which is no request's work: the collector is
    paused for the request, and collects after it as it would have."""
    gc.disable()
    try:
        started = time.thread_time()
        response = client.open(path, method=method, **request)
        return response, time.thread_time() - started
    finally:
        gc.enable()


@contextmanager
def on_loopback(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a loopback port for the block: its base URL; the app is closed after."""
    try:
        with loopback.wsgi(app) as base_url:
            yield base_url
    finally:
        close_app(app)


def valid_request(**fields: Any) -> dict[str, Any]:
    """A request the test data can serve, with ``fields`` replaced or added."""
    body = {
        "ticker": TICKER,
        "rule_type": "SMA_CROSS",
        "params": {"fast": 3, "slow": 8},
        "start_date": "2021-02-01",
        "end_date": "2021-05-31",
    }
    body.update(fields)
    return body


def valid_sweep(**fields: Any) -> dict[str, Any]:
    """A sweep request the test data can serve (6 combos), with ``fields`` replaced."""
    return {
        "tickers": [TICKER],
        "rule_type": "SMA_CROSS",
        "grid": {"fast": [5, 10], "slow": "20:40:10"},
        "start_date": "2021-01-04",
        "end_date": "2021-06-18",
        "chunk_size": 50,
        **fields,
    }


def valid_walkforward(**fields: Any) -> dict[str, Any]:
    """A walk-forward the test data can serve (TESTCO's 120 bars: three rolling folds of 6
    combos), with ``fields`` replaced."""
    return {
        "ticker": TICKER,
        "rule_type": "SMA_CROSS",
        "grid": {"fast": [5, 10], "slow": "20:40:10"},
        "start_date": "2021-01-04",
        "end_date": "2021-06-18",
        "train_bars": 60,
        "test_bars": 20,
        **fields,
    }


def job_payload(raw: bytes) -> Any:
    """Decode an RQ job's ``data`` field as the JSON serializer wrote it (zlib + JSON)."""
    return json.loads(zlib.decompress(raw))


def jobs_here(monkeypatch, database_url: str, data_dir: Path) -> Iterator[None]:
    """Jobs run in this process (``work.lifecycle.run_item``) read ``database_url`` and
    ``data_dir``, on a process database of their own, closed after (for use in a fixture)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    dbapi._PROCESS_DATABASES.clear()
    try:
        yield
    finally:
        for database in dbapi._PROCESS_DATABASES.values():
            database.close()
        dbapi._PROCESS_DATABASES.clear()
