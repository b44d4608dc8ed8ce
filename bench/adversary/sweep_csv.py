"""Four concurrent downloads of a 1 M-combination compact sweep's ``results.csv`` from the web
under the image's gunicorn command (gevent workers, gunicorn.conf.py's 30 s timeout). The
attack it replays: the web evaluated every chunk again while streaming the file, so a
download held its worker's hub for a minute; gunicorn killed the worker mid-body (two of four
downloads cut at 354,001 and 865,001 lines with status 200) and ``/health`` took 10.7 s.

The sweep (``bench.sweep_scale_bench``'s ``1m``: RSI on GOOG.csv's first 597 bars registered
as 3 tickers, 1,004,598 combinations, stored compactly) runs on a LocalStack (web + local
scaler, a scratch MariaDB database, a private redis-server); the downloads go to a second
web, gunicorn as the image starts it, on the same database: two plain, two gzip.

Goals: every download complete (its bytes = its Content-Length) and, decompressed, byte for
byte the sweep's stored CSV (its header and every chunk's stored part, read from the
database here); ``/health`` under 1 s throughout (asked every 0.2 s from a thread of its
own); no ``WORKER TIMEOUT`` in gunicorn's log.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import requests

from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis
from bench.sweep_bench import post_and_wait
from bench.sweep_scale_bench import SIZES, data_dir, sweep_body
from kinds.sweeps.status import SWEEP_FINISHED
from tests.deploy.test_deploy_slow_clients import image_web
from tests.stack import LocalStack

DOWNLOADS = 4
"""Concurrent downloads, as the adversary made them."""

HEALTH_LIMIT_S = 1.0
HEALTH_EVERY_S = 0.2

SWEEP_DEADLINE_S = 60 * 60
"""How long the sweep may take on a shared two-core machine."""


class HealthProbe(threading.Thread):
    """Asks ``/health`` every HEALTH_EVERY_S until stopped: the slowest answer (a failure
    counts as its timeout)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{base_url}/health"
        self.slowest = 0.0
        self.asked = 0
        self.failed = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            began = time.monotonic()
            try:
                ok = requests.get(self.url, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            took = time.monotonic() - began
            self.asked += 1
            self.failed += not ok
            self.slowest = max(self.slowest, took if ok else 30.0)
            self.halt.wait(HEALTH_EVERY_S)


def stored_csv(database_url: str, sweep_id: str) -> tuple[str, int, int]:
    """The sweep's CSV as stored (the header and every chunk's part, inflated here): its
    SHA-256, length and line count."""
    from kinds.sweeps.csv_parts import csv_state, read_part
    from kinds.sweeps.export import inflated
    from store.db import make_engine, make_sessionmaker
    from store.models import Sweep

    engine = make_engine(database_url)
    digest, size, lines = hashlib.sha256(), 0, 0
    try:
        with make_sessionmaker(engine)() as session:
            state = csv_state(session, session.get(Sweep, sweep_id))
            assert not state.missing, f"{len(state.missing)} chunks have no CSV part"
            pieces = [state.stored.head]
            for part in state.stored.parts:
                pieces.extend(inflated(read_part(session, sweep_id, part.chunk_no)))
    finally:
        engine.dispose()
    for piece in pieces:
        digest.update(piece)
        size += len(piece)
        lines += piece.count(b"\n")
    return digest.hexdigest(), size, lines


def download(url: str, packed: bool) -> dict[str, Any]:
    """One download read to its end: status, stated and received lengths, the decoded
    body's SHA-256, lines and length, seconds."""
    began = time.monotonic()
    headers = {"Accept-Encoding": "gzip" if packed else "identity"}
    outcome: dict[str, Any] = {"gzip": packed, "error": None}
    digest, size, lines, received = hashlib.sha256(), 0, 0, 0
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if packed else None
    try:
        with requests.get(url, headers=headers, stream=True, timeout=120) as response:
            outcome["status"] = response.status_code
            outcome["stated"] = int(response.headers.get("Content-Length", -1))
            outcome["encoding"] = response.headers.get("Content-Encoding")
            for raw in response.raw.stream(1 << 20, decode_content=False):
                received += len(raw)
                piece = inflater.decompress(raw) if inflater else raw
                digest.update(piece)
                size += len(piece)
                lines += piece.count(b"\n")
            if inflater:
                tail = inflater.flush()
                digest.update(tail)
                size += len(tail)
                lines += tail.count(b"\n")
    except Exception as exc:  # a cut body, a reset: reported
        outcome["error"] = f"{exc.__class__.__name__}: {exc}"[:200]
    outcome.update(
        received=received, sha=digest.hexdigest(), size=size, lines=lines,
        seconds=time.monotonic() - began,
    )  # fmt: skip
    return outcome


def _sweep(stack: LocalStack) -> tuple[str, int, float]:
    """Run the 1 M sweep to its end: (sweep id, combinations, POST → last chunk stored)."""
    period, tickers = SIZES["1m"]
    names = [f"GOOG{chr(ord('A') + i)}" for i in range(tickers)]
    through = post_and_wait(
        stack.base_url, "/api/sweeps", "1m", sweep_body(period, names), SWEEP_FINISHED,
        SWEEP_DEADLINE_S, "completed_at",
    )  # fmt: skip
    assert through is not None and through.status["status"] == "SUCCEEDED", through
    return through.accepted["sweep_id"], through.accepted["combos"], through.wall


def run(args: argparse.Namespace) -> ScenarioReport:
    """Run the sweep, then the four downloads under gunicorn; the goals."""
    report = ScenarioReport(scenario="sweep_csv")
    workdir = Path(tempfile.mkdtemp(prefix="adversary-sweep-csv-"))
    redis = PrivateRedis(workdir)
    folder, _ = data_dir(SIZES["1m"][1])
    try:
        database = CampaignDatabase()
        try:
            stack = LocalStack(
                database.url,
                redis.url,
                workdir / "stack",
                polling_interval=None,
                extra_env={"DATA_DIR": str(folder), "LOG_LEVEL": "WARNING",
                           "SWEEP_MAX_COMBINATIONS": "10000000"},
            ).start()  # fmt: skip
            try:
                sweep_id, combos, wall = _sweep(stack)
            finally:
                stack.stop()
            expected = stored_csv(database.url, sweep_id)
            log = workdir / "gunicorn.log"
            with image_web(
                database.url,
                redis.url,
                log=log,
                DATA_DIR=str(folder),
                RQ_QUEUE=f"adv-csv-web-{uuid.uuid4().hex[:6]}",
                SWEEP_MAX_COMBINATIONS="10000000",
            ) as base:
                probe = HealthProbe(base)
                probe.start()
                url = f"{base}/api/sweeps/{sweep_id}/results.csv"
                results: list[dict[str, Any]] = [{} for _ in range(DOWNLOADS)]
                threads = [
                    threading.Thread(
                        target=lambda i=i: results.__setitem__(i, download(url, i % 2 == 1))
                    )
                    for i in range(DOWNLOADS)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                probe.halt.set()
                probe.join()
            timeouts = log.read_text(errors="replace").count("WORKER TIMEOUT")
        finally:
            database.drop()
    finally:
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)

    sha, size, lines = expected
    complete = [
        r for r in results
        if r.get("status") == 200 and r["error"] is None and r["received"] == r["stated"]
    ]  # fmt: skip
    identical = [r for r in complete if (r["sha"], r["size"]) == (sha, size)]
    report.notes += [
        f"sweep {sweep_id}: {combos:,} combinations, POST → last chunk stored {wall:.1f} s",
        f"stored CSV: {lines:,} lines, {size / 1e6:.1f} MB",
        *(
            f"download {i + 1} ({'gzip' if r['gzip'] else 'identity'}): status "
            f"{r.get('status')}, {r['received'] / 1e6:.1f} of {r.get('stated', -1) / 1e6:.1f} MB "
            f"stated, {r['lines']:,} lines, {r['seconds']:.1f} s; error {r['error']}"
            for i, r in enumerate(results)
        ),
        f"/health asked {probe.asked} times, {probe.failed} failed",
    ]
    report.goals += [
        Goal(
            "downloads complete (bytes = Content-Length)", len(complete), DOWNLOADS, at_most=False
        ),
        Goal(
            "downloads byte-identical to the stored CSV", len(identical), DOWNLOADS, at_most=False
        ),
        Goal("slowest /health during the downloads", round(probe.slowest, 3), HEALTH_LIMIT_S, " s"),
        Goal("gunicorn WORKER TIMEOUT lines", timeouts, 0),
    ]
    return report
