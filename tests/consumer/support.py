"""Helpers for tests that run real ``python -m consumer`` processes on MariaDB + Redis:
their environment, a quick run inserted PENDING (and queued) and its row read back, starting
and finishing consumers, signalling them like a pod kill, and a long synthetic history so a
run or chunk lasts long enough to be killed mid-way, and a process killed while it holds
a queue's maintenance lock."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import numpy as np
from redis import Redis

from kinds.runs.contract import parse_request
from kinds.runs.kind import enqueue_run
from kinds.runs.store import get_run, insert_pending
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import BacktestRun
from tests.stack import PROJECT_ROOT
from work.queue import backtest_queue

QUICK_RUN = {
    "ticker": "ACME",
    "rule_type": "RSI",
    "start_date": "2016-01-01",
    "end_date": "2016-12-31",
    "charts": False,
}
"""A run request that executes in a fraction of a second."""


SHORT_MARGIN = {"RQ_HEARTBEAT_MARGIN": "5"}
"""The environment of a consumer a test kills mid-item and waits to see recovered: RQ calls
its item abandoned 5 s after its next beat was due (RQ_JOB_MONITORING_INTERVAL 2 s + 5 s)
instead of the default 60 s (``consumer.liveness.heartbeat_margin``), so the reaper's
retry comes ~55 s sooner; a live consumer's parent beats every 2 s, well within it."""


def consumer_env(mysql_url: str, redis_url: str, tmp_path: Path, monkeypatch) -> dict:
    """A fresh schema, a queue of its own, a claim file and a 2 s heartbeat, exported to
    this process too (the test enqueues and reaps in-process)."""
    engine = make_engine(mysql_url)
    create_schema(engine)
    engine.dispose()
    values = {
        "DATABASE_URL": mysql_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"t-{uuid.uuid4().hex[:8]}",
        "CLAIM_FILE": str(tmp_path / "claimed"),
        "RQ_JOB_MONITORING_INTERVAL": "2",
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def sessions_for(env: dict):
    return make_sessionmaker(make_engine(env["DATABASE_URL"]))


def queue_for(env: dict):
    return backtest_queue(Redis.from_url(env["REDIS_URL"]), env["RQ_QUEUE"])


def quick_run(sessions, queue, *, enqueue: bool = True) -> str:
    """The id of a QUICK_RUN inserted PENDING for ``queue`` and, by default, queued on it."""
    request = parse_request(QUICK_RUN)
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    if enqueue:
        enqueue_run(queue, request)
    return request.run_id


def stored_run(sessions, run_id: str) -> BacktestRun | None:
    """The run's row as the database holds it now (read in a session of its own)."""
    with sessions() as session:
        return get_run(session, run_id)


def consumer(env: dict, **extra: str) -> subprocess.Popen:
    """Start ``python -m consumer`` in a session of its own, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "consumer"],
        env={**os.environ, **env, **extra},
        cwd=PROJECT_ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    """Wait for a consumer; its exit code and log."""
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (RQ's work-horse of a consumer)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def signal_pod(proc: subprocess.Popen, signum: int) -> None:
    """Signal the consumer and its work-horse, as a pod kill reaches every process (RQ puts
    the horse in a process group of its own)."""
    horses = children(proc.pid)  # before the signal: a killed parent leaves no children
    os.killpg(proc.pid, signum)
    for child in horses:
        with contextlib.suppress(ProcessLookupError):  # already killed and reaped
            os.kill(child, signum)


def long_history(folder: Path, ticker: str, seed: int, n: int = 20_000) -> Path:
    """A DATA_DIR holding ``ticker``: n daily bars from 1940 (n = 20,000 is RUN_MAX_BARS)."""
    close = 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, n)))
    days = np.datetime64("1940-01-01") + np.arange(n)
    rows = zip(days, close, strict=True)
    lines = ["Date,Open,High,Low,Close,Volume"]
    lines += [f"{d},{c:.4f},{c * 1.01:.4f},{c * 0.99:.4f},{c:.4f},1000" for d, c in rows]
    folder.mkdir()
    (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")
    entry = {
        "file": f"{ticker}.csv",
        "name": ticker.title(),
        "synthetic": True,
        "description": "test",
    }
    (folder / "catalog.json").write_text(json.dumps({ticker: entry}))
    return folder


KILLED_HOLDER = textwrap.dedent(
    """
    import os, signal, sys
    from redis import Redis
    from consumer import maintenance
    from consumer.quarantine import InertJob
    from work.queue import backtest_queue

    if sys.argv[3]:
        maintenance.MAINTENANCE_LOCK_TTL = int(sys.argv[3])
    maintenance.clean_registries = lambda queue: os.kill(os.getpid(), signal.SIGKILL)
    connection = Redis.from_url(sys.argv[1])
    queue = backtest_queue(connection, sys.argv[2], job_class=InertJob)
    maintenance.clean_queue_registries(queue, whole_queue=False)
    """
)
"""Takes a queue's maintenance lock the way a consumer does at its start-up cleanup, and is
SIGKILLed in the middle of the cleanup (a pod killed there)."""


def kill_while_holding_maintenance_lock(
    redis_url: str, queue_name: str, lock_ttl: int | None = None
) -> subprocess.CompletedProcess:
    """Run ``KILLED_HOLDER`` on ``queue_name`` (its lock living ``lock_ttl`` seconds, default
    the consumer's own); the finished process (return code -9 when it died as planned)."""
    return subprocess.run(
        [sys.executable, "-c", KILLED_HOLDER, redis_url, queue_name, str(lock_ttl or "")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
