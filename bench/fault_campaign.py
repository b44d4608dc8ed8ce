"""Fault campaign: the real platform attacked while it works, and whether every run still ends.

    .venv/bin/python -m bench.fault_campaign [--runs 40] [--seed N]

It starts a private ``redis-server`` (on a free port, no persistence, so it can be restarted
EMPTY; the shared Redis on 6379 is never touched), a fresh database ``bt_campaign_<hex>`` on
the shared MariaDB server (CAMPAIGN_DATABASE_URL, default root@127.0.0.1:3306; migrated with
``store.migrate.upgrade``, dropped at the end) that the web and the consumers reach through a
``tests.tcp_proxy.TcpProxy`` (so it can be cut off without stopping the server), and the web +
local scaler of ``tests.stack.LocalStack``. While N runs are submitted over time through
``POST /run_backtest`` (tickers of data/catalog.json, every rule, long and short date ranges):

* consumer processes (``python -m consumer`` children of the scaler, found in /proc) are
  SIGKILLed mid-run: the whole pod, only its work-horse, or only the parent; a run is killed
  at most once, since the platform promises one retry;
* Redis is restarted empty once; the database is cut off for ``--outage`` seconds once;
* poisoned entries keep arriving on the queue: ids RQ refuses (``"a b"``), job hashes with an
  unparseable created_at / timeout / status / retries_left, job data that is not JSON, a job
  calling ``builtins.print``; jobs of our own function naming a success, failure or stopped
  callback (``this.s``: importing ``this`` prints the Zen of Python, so a resolved callback
  shows in the logs), dependencies, or a set of dependents on a real run's job; a job whose
  payload names a real run under an id of its own; and second deliveries of real runs' ids
  — one at a time, and the newest run's id pushed twice at once.

Then it waits until every accepted run is SUCCEEDED or FAILED (at most ``--deadline`` seconds
after the last fault) and prints: accepted and rejected (503) submissions, final statuses,
every FAILED run with its error and whose fault it is, STUCK runs, runs that SUCCEEDED twice
and computed results that were lost (from the consumers' log lines in the scaler's log, and
each row's stored result), the submit-to-terminal times, and the quarantine. Exit code 0 when
every goal holds, 1 otherwise. The fault schedule and the requests follow ``--seed``; what
the processes make of them depends on timing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from consumer.quarantine import quarantine_key  # noqa: E402
from consumer.reaper import CRASHED as REAPED_CRASH  # noqa: E402
from consumer.reaper import DB_UNAVAILABLE, LOST, MAX_ATTEMPTS, PENDING_GRACE  # noqa: E402
from consumer.worker import CRASHED as HORSE_CRASH  # noqa: E402
from consumer.worker import monitoring_interval  # noqa: E402
from kinds.runs.contract import REQUEST_FIELDS as RUN_REQUEST_FIELDS  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from tests.consumer.support import children  # noqa: E402
from tests.databases import scratch_database  # noqa: E402
from tests.stack import LocalStack, free_port, wait_until  # noqa: E402
from tests.tcp_proxy import TcpProxy  # noqa: E402
from web.api.runs.submit import ALREADY_QUEUED, ENQUEUE_FAILED, QUEUE_UNAVAILABLE  # noqa: E402
from work.lifecycle import INTERNAL_ERROR  # noqa: E402
from work.queue import JOB_KEY_PREFIX, queue_key  # noqa: E402
from work.status import RunStatus  # noqa: E402

SERVER_URL = os.environ.get("CAMPAIGN_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
TERMINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED)
REAPER_INTERVAL_S = 5
HEARTBEAT_S = monitoring_interval() + 60
"""A dead pod's run is seen as abandoned this long after its last heartbeat (docs/queue.md)."""

PLATFORM_ERRORS = (
    LOST,
    REAPED_CRASH,
    HORSE_CRASH,
    DB_UNAVAILABLE,
    INTERNAL_ERROR,
    QUEUE_UNAVAILABLE,
    ALREADY_QUEUED,
    ENQUEUE_FAILED,
)
"""Stored errors that are the platform's doing, never the request's."""
REQUEST_FIELDS = (*RUN_REQUEST_FIELDS, "body")
"""What a stored error names when it is the request's own fault: a run request's field, or
the body as a whole."""
SUCCEEDED_LINE = re.compile(r" work\.lifecycle run_id=(\S+) succeeded in (\d+) ms")
NOTHING_STORED_LINE = re.compile(r" work\.lifecycle run_id=(\S+) finished in .* nothing stored")
GAVE_UP_LINE = re.compile(r" work\.lifecycle run_id=(\S+) giving up: ")
ATTEMPT_LINE = re.compile(r" work\.lifecycle run_id=(\S+) running \(attempt (\d+)\)")
EXIT_LINE = re.compile(r"consumer pid (\d+) exited with (-?\d+)")
NOTABLE_LINE = re.compile(r"^[\d-]+ [\d:,]+ ((?:ERROR|WARNING|CRITICAL) \S+) run_id=\S+ (.*)$")
UUIDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NUMBERS = re.compile(r"(?<![\w.])\d+(\.\d+)?")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def utc_epoch(value: datetime | None) -> float | None:
    """A database timestamp (UTC, naive from the driver) as seconds since the epoch."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


# -- the private services -------------------------------------------------------------------


class PrivateRedis:
    """A redis-server child process on a free port, without persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.log = open(workdir / "redis.log", "ab")  # noqa: SIM115 - closed in stop()
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        probe = self.client()
        wait_until(lambda: _pings(probe), 10, interval=0.05, what="the private redis-server")
        probe.close()

    def restart_empty(self) -> float:
        """SIGKILL the server and start a new, empty one on the same port; the seconds down."""
        began = time.monotonic()
        self.stop_server()
        self.start()
        return time.monotonic() - began

    def stop_server(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        self.stop_server()
        self.log.close()


def _pings(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except RedisError:
        return False


class CampaignDatabase:
    """A fresh, migrated database on the shared MariaDB server, dropped by ``drop``."""

    def __init__(self) -> None:
        self.server = make_url(SERVER_URL)
        self._scratch = contextlib.ExitStack()
        self.url = self._scratch.enter_context(scratch_database(SERVER_URL, "bt_campaign"))
        self.name = make_url(self.url).database
        self.engine: Engine = create_engine(self.url, pool_pre_ping=True)
        self.migrated = upgrade(self.engine)

    def drop(self) -> None:
        self.engine.dispose()
        self._scratch.close()


# -- what the attacker sends ------------------------------------------------------------------

TICKERS = sorted(json.loads((PROJECT_ROOT / "data" / "catalog.json").read_text()))
RuleMaker = Callable[[random.Random], dict[str, Any] | None]
RULES: dict[str, RuleMaker] = {
    "RSI": lambda r: {"period": r.randint(5, 30), "oversold": r.randint(20, 35),
                      "overbought": r.randint(65, 80)},
    "MACD": lambda r: {"fast": r.randint(5, 15), "slow": r.randint(20, 40),
                       "signal": r.randint(5, 12)},
    "SMA_CROSS": lambda r: {"fast": r.randint(5, 30), "slow": r.randint(40, 150)},
    "RSI_MACD": lambda r: None,
    "BOLLINGER": lambda r: {"period": r.randint(10, 40), "std_dev": round(r.uniform(1.5, 2.5), 1)},
    "MOMENTUM": lambda r: None,
    "MEAN_REVERSION": lambda r: None,
    "BREAKOUT": lambda r: {"entry_period": r.randint(15, 40), "exit_period": r.randint(5, 15)},
}  # fmt: skip


def make_request(rng: random.Random, *, long: bool = False) -> dict[str, Any]:
    """One run request: a catalog ticker, any rule, a long (half the time, or always with
    ``long``), medium or short range (the data covers 2014..2024), varied execution settings."""
    rule = rng.choice(sorted(RULES))
    span = rng.choices(("long", "medium", "short"), weights=(5, 3, 2))[0]
    span = "long" if long else span
    if span == "long":
        start, end = "2014-01-01", "2024-12-31"
    elif span == "medium":
        first = rng.randint(2014, 2019)
        start, end = f"{first}-01-01", f"{first + 5}-12-31"
    else:
        year = rng.randint(2015, 2023)
        start, end = f"{year}-01-01", f"{year}-12-31"
    payload: dict[str, Any] = {
        "ticker": rng.choice(TICKERS),
        "rule_type": rule,
        "start_date": start,
        "end_date": end,
    }
    params = RULES[rule](rng)
    if params is not None:
        payload["params"] = params
    if rng.random() < 0.3:
        payload["direction"] = "longshort"
    if rng.random() < 0.2:
        payload.update(size_type="percent", position_size=50)
    if rng.random() < 0.3:
        payload["slippage_bps"] = rng.randint(1, 5)
    if rng.random() < 0.15 and not long:
        payload["charts"] = False
    return payload


POISON_KINDS = (
    "bad-id",
    "created_at",
    "timeout",
    "status",
    "retries_left",
    "data-not-json",
    "unregistered-function",
    "success-callback",
    "failure-callback",
    "stopped-callback",
    "dependency",
    "dependents",
    "foreign-payload",
    "duplicate-delivery",
    "double-delivery",
)
CALLBACK_NAME = "this.s"
"""The callback the poisoned jobs name: resolving it imports ``this``, which prints ZEN."""
ZEN = "Beautiful is better than ugly"
RE_DELIVERIES = ("duplicate-delivery", "double-delivery", "foreign-payload")
"""Poisons that deliver a real run again (their ``names``); their entries are not quarantined
(but a foreign payload's own id is)."""
CORRUPT_FIELDS = {
    "created_at": "the day before yesterday",
    "timeout": "forever",
    "status": "exploded",
    "retries_left": "many",
}


# -- the record of what happened --------------------------------------------------------------


@dataclass
class Submission:
    index: int
    payload: dict[str, Any]
    sent_at: float
    code: int | None = None
    body: Any = None
    error: str | None = None

    @property
    def run_id(self) -> str | None:
        return self.body.get("run_id") if isinstance(self.body, dict) else None


@dataclass
class Kill:
    at: float
    mode: str  # pod (consumer + work-horse), horse (work-horse only), consumer (parent only)
    consumer_pid: int
    horse_pid: int | None
    run_id: str
    row_status: str | None  # the run's row when it was killed: PENDING = not started yet


@dataclass
class Poison:
    at: float
    kind: str
    entry: str
    names: str | None = None  # the real run it delivers again or attacks, if any


@dataclass
class Timeline:
    started_at: float = field(default_factory=time.time)
    redis_restart_at: float | None = None
    redis_down_s: float = 0.0
    cut_at: float | None = None
    restored_at: float | None = None
    quarantined_before_restart: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.notes.append(f"t+{time.time() - self.started_at:6.1f}s {message}")


# -- /proc --------------------------------------------------------------------------------


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _environ(pid: int, name: str) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    prefix = f"{name}=".encode()
    for item in raw.split(b"\0"):
        if item.startswith(prefix):
            return item[len(prefix) :].decode(errors="replace")
    return None


def consumer_pids(scaler_pid: int) -> list[int]:
    """The ``python -m consumer`` processes the scaler started and that are alive."""
    return [pid for pid in sorted(children(scaler_pid)) if _cmdline(pid)[1:3] == ["-m", "consumer"]]


# -- the campaign -------------------------------------------------------------------------


class Campaign:
    """The stack, the faults, and the record of both."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.redis = PrivateRedis(workdir)
        try:
            self.db = CampaignDatabase()
        except BaseException:
            self.redis.stop()
            raise
        try:
            self.proxy = TcpProxy(self.db.server.port or 3306, self.db.server.host or "127.0.0.1")
        except BaseException:
            self.redis.stop()
            self.db.drop()
            raise
        self.stack = LocalStack(
            database_url=self.proxy.url_for(self.db.url),
            redis_url=self.redis.url,
            workdir=workdir / "stack",
            extra_env={
                "SCALER_REAPER_INTERVAL": str(REAPER_INTERVAL_S),
                "DB_RETRY_SECONDS": str(args.db_retry_seconds),
                "LOG_LEVEL": "INFO",
            },
            queue=f"campaign-{uuid.uuid4().hex[:8]}",
        )
        self.timeline = Timeline()
        window = args.runs * args.mean_gap
        plan = random.Random(f"{args.seed}:schedule")
        self.redis_at = window * plan.uniform(0.30, 0.40)
        """When Redis is restarted (s after the first submission, once a consumer is busy)."""
        self.cut_at = window * plan.uniform(0.55, 0.65)
        """When the database is cut: right after a burst of long runs, once one is executing."""
        self.burst_done = threading.Event()
        self.began = time.monotonic()
        self.submissions: list[Submission] = []
        self.kills: list[Kill] = []
        self.poisons: list[Poison] = []
        self.orphans: list[int] = []  # work-horses whose parent was killed alone
        self.stop_faults = threading.Event()
        self.lock = threading.Lock()
        self.marker = f"PWNED-{args.seed}-{uuid.uuid4().hex[:6]}"

    @property
    def queue(self) -> str:
        return self.stack.queue

    def close(self) -> None:
        """Stop everything the campaign started and drop its database."""
        for pid in self.orphans:  # a lost work-horse would otherwise outlive the campaign
            if _cmdline(pid)[1:3] == ["-m", "consumer"]:
                _signal(pid, signal.SIGKILL)
        try:
            self.stack.stop()
        finally:
            self.proxy.close()
            self.redis.stop()
            self.db.drop()

    # -- submissions ----------------------------------------------------------------------
    def submit_all(self) -> None:
        """Submit ``--runs`` requests with random gaps; ``--burst`` long ones back to back just
        before the database is cut, so that runs are executing and waiting when it goes."""
        rng = random.Random(f"{self.args.seed}:requests")
        gaps = random.Random(f"{self.args.seed}:gaps")
        burst_left = 0
        for index in range(self.args.runs):
            elapsed = time.monotonic() - self.began
            if not self.burst_done.is_set() and burst_left == 0 and elapsed >= self.cut_at - 2:
                burst_left = self.args.burst
            payload = make_request(rng, long=burst_left > 0)
            submission = Submission(index, payload, time.time())
            try:
                response = self.stack.submit(payload)
                submission.code = response.status_code
                try:
                    submission.body = response.json()
                except ValueError:
                    submission.body = response.text[:200]
            except requests.RequestException as exc:
                submission.error = f"{type(exc).__name__}: {str(exc)[:120]}"
            with self.lock:
                self.submissions.append(submission)
            gap = gaps.uniform(0.3, 2 * self.args.mean_gap - 0.3)
            if burst_left > 0:
                burst_left -= 1
                if burst_left == 0:
                    self.burst_done.set()
                gap = 0.05
            time.sleep(gap)
        self.burst_done.set()

    def accepted(self) -> dict[str, Submission]:
        with self.lock:
            return {s.run_id: s for s in self.submissions if s.code == 202 and s.run_id}

    # -- faults -----------------------------------------------------------------------------
    def schedule(self) -> None:
        """Redis restart at ~35 % of the submission window, the database cut at ~60 % (after
        the burst); each waits (at most 10 s) for a consumer to be executing a run."""
        if self.stop_faults.wait(max(0.0, self.redis_at - (time.monotonic() - self.began))):
            return
        self._wait_busy()
        self.restart_redis()
        self.burst_done.wait(max(0.0, self.cut_at + 60 - (time.monotonic() - self.began)))
        self._wait_busy()
        self.cut_database()

    def _wait_busy(self, timeout: float = 10.0) -> None:
        scaler_pid = self.stack.processes[1].pid
        client = self.redis.client()
        try:
            wait_until(lambda: self._busy_consumers(scaler_pid, client), timeout, 0.1)
        except TimeoutError:
            self.timeline.note(f"no consumer was executing a run within {timeout:.0f} s")
        finally:
            client.close()

    def restart_redis(self) -> None:
        client = self.redis.client()
        try:
            records = client.lrange(quarantine_key(self.queue), 0, -1)
            self.timeline.quarantined_before_restart = [json.loads(r) for r in records]
        except RedisError:
            pass
        finally:
            client.close()
        self.timeline.redis_restart_at = time.time()
        self.timeline.redis_down_s = self.redis.restart_empty()
        self.timeline.note(f"Redis restarted empty ({self.timeline.redis_down_s:.2f} s down)")

    def cut_database(self) -> None:
        self.timeline.cut_at = time.time()
        self.proxy.cut()
        self.timeline.note(f"database cut for {self.args.outage:.0f} s")
        time.sleep(self.args.outage)  # the outage happens even if the campaign is stopping
        self.proxy.restore()
        self.timeline.restored_at = time.time()
        self.timeline.note("database restored")

    def kill_loop(self) -> None:
        rng = random.Random(f"{self.args.seed}:kills")
        scaler_pid = self.stack.processes[1].pid
        redis = self.redis.client()
        killed_runs: set[str] = set()
        while len(self.kills) < self.args.kills and not self.stop_faults.wait(rng.uniform(2, 6)):
            for _ in range(20):  # look for a consumer mid-run for up to ~4 s
                candidates = [
                    c for c in self._busy_consumers(scaler_pid, redis) if c[2] not in killed_runs
                ]
                if candidates:
                    break
                if self.stop_faults.wait(0.2):
                    return
            else:
                continue
            consumer, horse, run_id = rng.choice(candidates)
            mode = rng.choices(("pod", "horse", "consumer"), weights=(5, 3, 2))[0]
            with self.db.engine.connect() as conn:
                row_status = conn.scalar(
                    text("SELECT status FROM backtest_results WHERE run_id = :id"), {"id": run_id}
                )
            if mode == "pod":
                _signal(consumer, signal.SIGKILL)  # the parent first: it must not see the horse die
                _signal(horse, signal.SIGKILL)
            elif mode == "horse":
                _signal(horse, signal.SIGKILL)
            else:
                _signal(consumer, signal.SIGKILL)
                self.orphans.append(horse)
            killed_runs.add(run_id)
            self.kills.append(Kill(time.time(), mode, consumer, horse, run_id, row_status))
            self.timeline.note(f"SIGKILL {mode} of consumer {consumer} running {run_id}")
        redis.close()

    def _busy_consumers(self, scaler_pid: int, redis: Redis) -> list[tuple[int, int, str]]:
        """(consumer pid, work-horse pid, run id) of every consumer executing a run now."""
        busy = []
        for pid in consumer_pids(scaler_pid):
            horses = sorted(children(pid))
            hostname = _environ(pid, "HOSTNAME")
            if not horses or hostname is None:
                continue
            run_id = None
            try:
                raw = redis.hget(f"rq:worker:{hostname}:{pid}", "current_job")
                run_id = raw.decode() if raw else None
            except RedisError:
                pass
            if run_id is None:
                with self.db.engine.connect() as conn:
                    run_id = conn.scalar(
                        text("SELECT run_id FROM backtest_results WHERE status = 'RUNNING' "
                             "AND worker = :worker"),
                        {"worker": f"{hostname}:{horses[0]}"},
                    )  # fmt: skip
            if run_id is not None:
                busy.append((pid, horses[0], run_id))
        return busy

    def poison_loop(self) -> None:
        rng = random.Random(f"{self.args.seed}:poison")
        kinds = list(POISON_KINDS)
        serial = 0
        while not self.stop_faults.wait(rng.uniform(1.5, 4.5)):
            if serial % len(kinds) == 0:
                rng.shuffle(kinds)
            kind = kinds[serial % len(kinds)]
            serial += 1
            client = self.redis.client()
            try:
                pushed = self._push_poison(client, kind, serial, rng)
            except RedisError as exc:
                self.timeline.note(f"poison {kind} not pushed: {type(exc).__name__}")
                continue
            finally:
                client.close()
            if pushed is not None:
                self.poisons.append(Poison(time.time(), kind, *pushed))

    def _push_poison(
        self, client: Redis, kind: str, serial: int, rng: random.Random
    ) -> tuple[str, str | None] | None:
        """Push one poisoned entry; (its entry, the real run it names) or None."""
        key = queue_key(self.queue)
        if kind == "bad-id":
            entry = "a b" if serial <= len(POISON_KINDS) else f"a b {serial}"
            client.rpush(key, entry)
            return entry, None
        accepted = sorted(self.accepted())
        if kind == "duplicate-delivery":
            if not accepted:
                return None
            entry = rng.choice(accepted)
            client.rpush(key, entry)
            return entry, entry
        if kind == "double-delivery":  # the newest run, likely still waiting or running
            with self.lock:
                newest = [s.run_id for s in self.submissions if s.code == 202 and s.run_id]
            if not newest:
                return None
            client.rpush(key, newest[-1], newest[-1])
            return newest[-1], newest[-1]
        if kind == "dependents":  # the newest run's job gets dependents: refused, requeued
            with self.lock:
                newest = [s.run_id for s in self.submissions if s.code == 202 and s.run_id]
            if not newest:
                return None
            named = newest[-1]
            client.sadd(f"{JOB_KEY_PREFIX}{named}:dependents", f"poison-{serial}")
            client.expire(f"{JOB_KEY_PREFIX}{named}:dependents", 3600)
            return named, named
        entry = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        function = "consumer.jobs.run_backtest"
        arguments: list[Any] = [{"run_id": entry}]
        named = None
        if kind == "unregistered-function":
            function, arguments = "builtins.print", [self.marker]
        if kind == "foreign-payload":  # an id of its own, the payload naming a real run
            if not accepted:
                return None
            named = rng.choice(accepted)
            arguments = [{"run_id": named}]
        data = zlib.compress(json.dumps([function, None, arguments, {}]).encode())
        if kind == "data-not-json":
            data = b"\x00{ this is not JSON"
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        job = {
            "created_at": now, "enqueued_at": now, "data": data, "origin": self.queue,
            "description": f"poison {kind}", "timeout": "900", "result_ttl": "300",
            "failure_ttl": "600", "status": "queued", "retries_left": "1",
            "retry_intervals": "[0]",
        }  # fmt: skip
        if kind in CORRUPT_FIELDS:
            job[kind] = CORRUPT_FIELDS[kind]
        if kind.endswith("-callback"):
            job[kind.replace("-", "_") + "_name"] = CALLBACK_NAME
        if kind == "dependency" and accepted:
            depends_on = rng.choice(accepted)
            job.update(dependency_id=depends_on, dependency_ids=json.dumps([depends_on]))
        client.hset(JOB_KEY_PREFIX + entry, mapping=job)
        client.expire(JOB_KEY_PREFIX + entry, 3600)
        client.rpush(key, entry)
        return entry, named

    # -- waiting ------------------------------------------------------------------------------
    def rows(self) -> dict[str, dict[str, Any]]:
        with self.db.engine.connect() as conn:
            result = conn.execute(
                text("SELECT run_id, status, error_message, attempts, worker, created_at, "
                     "started_at, completed_at FROM backtest_results")
            )  # fmt: skip
            return {row.run_id: dict(row._mapping) for row in result}

    def wait_terminal(self, deadline_s: float) -> float:
        """Poll until every accepted run is terminal or ``deadline_s`` passed; seconds waited."""
        began = time.monotonic()
        accepted = set(self.accepted())
        while time.monotonic() - began < deadline_s:
            rows = self.rows()
            if all(rows.get(run_id, {}).get("status") in TERMINAL for run_id in accepted):
                break
            time.sleep(1)
        return time.monotonic() - began


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


# -- the report ---------------------------------------------------------------------------


@dataclass
class LogFacts:
    succeeded: Counter = field(default_factory=Counter)
    nothing_stored: Counter = field(default_factory=Counter)
    gave_up: Counter = field(default_factory=Counter)
    attempts_logged: Counter = field(default_factory=Counter)
    exits: Counter = field(default_factory=Counter)
    tracebacks: int = 0
    notable: Counter = field(default_factory=Counter)
    reaper_failures: int = 0
    quarantine_lines: int = 0
    marker_seen: bool = False
    callback_resolved: bool = False


def read_logs(texts: Iterable[str], marker: str) -> LogFacts:
    facts = LogFacts()
    for text_ in texts:
        for line in text_.splitlines():
            if match := SUCCEEDED_LINE.search(line):
                facts.succeeded[match[1]] += 1
            elif match := NOTHING_STORED_LINE.search(line):
                facts.nothing_stored[match[1]] += 1
            elif match := GAVE_UP_LINE.search(line):
                facts.gave_up[match[1]] += 1
            elif match := ATTEMPT_LINE.search(line):
                facts.attempts_logged[match[1]] += 1
            elif match := EXIT_LINE.search(line):
                facts.exits[int(match[2])] += 1
            match = NOTABLE_LINE.search(line)
            if match and "quarantined queue entry" not in line and "exited with" not in line:
                message = NUMBERS.sub("N", UUIDS.sub("<id>", f"{match[1]} {match[2]}"))
                facts.notable[message[:110]] += 1
            if line.startswith("Traceback"):
                facts.tracebacks += 1
            if "reaper pass failed" in line:
                facts.reaper_failures += 1
            if "quarantined queue entry" in line:
                facts.quarantine_lines += 1
            if marker in line:
                facts.marker_seen = True
            if ZEN in line:
                facts.callback_resolved = True
    return facts


def own_fault(message: str | None) -> tuple[bool, str]:
    """Is a stored error the request's own fault? (verdict, why)"""
    if not message:
        return False, "no error message"
    for known in PLATFORM_ERRORS:
        if message.startswith(known):
            return False, "platform error"
    if "stored request" in message or "no stored message" in message:
        return False, "platform error (the stored request)"
    if message.startswith("the result is "):
        return True, "result over the size limit"
    head = message.split(":", 1)[0]
    if ":" in message and head.split(".", 1)[0].split("[", 1)[0] in REQUEST_FIELDS:
        return True, f"the request's {head}"
    return False, "unrecognised error (counted as not the run's fault)"


def result_matches(db: CampaignDatabase, run_id: str, payload: dict[str, Any]) -> str | None:
    """None when the stored result is this run's (its run_id and request); else what differs."""
    with db.engine.connect() as conn:
        raw = conn.scalar(
            text("SELECT result_json FROM backtest_results WHERE run_id = :id"), {"id": run_id}
        )
    if raw is None:
        return "no stored result"
    result = json.loads(raw)
    if result.get("run_id") != run_id:
        return f"result run_id {result.get('run_id')}"
    request = result.get("request") or {}
    for key in ("ticker", "rule_type", "start_date", "end_date"):
        if str(request.get(key)) != str(payload[key]):
            return f"result {key} {request.get(key)!r} != submitted {payload[key]!r}"
    for name, value in (payload.get("params") or {}).items():
        if (request.get("params") or {}).get(name) != value:
            return f"result params.{name} differs from the submitted one"
    return None


def touched_by(campaign: Campaign, run_id: str, row: dict[str, Any]) -> list[str]:
    """The faults a run lived through: killed, Redis restart, database outage, re-delivered."""
    faults = []
    created = utc_epoch(row["created_at"]) or 0.0
    completed = utc_epoch(row["completed_at"]) or float("inf")
    if any(kill.run_id == run_id for kill in campaign.kills):
        faults.append("killed")
    restart = campaign.timeline.redis_restart_at
    if restart is not None and created <= restart <= completed:
        faults.append("redis-restart")
    cut, restored = campaign.timeline.cut_at, campaign.timeline.restored_at
    if cut is not None and created <= (restored or float("inf")) and completed >= cut:
        faults.append("db-outage")
    if any(p.kind in RE_DELIVERIES and p.names == run_id for p in campaign.poisons):
        faults.append("re-delivered")
    return faults


def distribution(label: str, values: list[float]) -> str:
    if not values:
        return f"   {label:34s} (none)"
    return (
        f"   {label:34s} p50 {percentile(values, 0.5):6.1f} s   "
        f"p90 {percentile(values, 0.9):6.1f} s   max {max(values):6.1f} s   (n={len(values)})"
    )


def report(campaign: Campaign, waited_s: float, deadline_s: float) -> bool:
    """Print the figures; True when every goal holds."""
    subs = campaign.submissions
    accepted = campaign.accepted()
    rows = campaign.rows()
    logs = read_logs([campaign.stack.log("scaler"), campaign.stack.log("web")], campaign.marker)
    goals: dict[str, bool] = {}

    print(f"1. submissions ({len(subs)} POST /run_backtest over time)")
    codes = Counter(s.code if s.code is not None else "no answer" for s in subs)
    rejected = [s for s in subs if s.code == 503]
    print(f"   accepted (202)                 {len(accepted):4d}")
    print(f"   rejected (503)                 {len(rejected):4d}")
    for reason, count in sorted(
        Counter(str((s.body or {}).get("error")) for s in rejected).items()
    ):
        print(f"     {reason!r}: {count}")
    others = {code: n for code, n in codes.items() if code not in (202, 503)}
    if others:
        print(f"   other answers                  {others}")
        for s in subs:
            if s.code not in (202, 503):
                print(f"     #{s.index} {s.code} {s.error or s.body}")
    ghost_ids = []
    for s in rejected:
        if s.run_id is None:
            continue
        row = rows.get(s.run_id)
        state = row["status"] if row else "does not exist"
        print(f"   503 #{s.index} names run_id {s.run_id}: {state}")
        if row is None:
            ghost_ids.append(s.run_id)
    goals["503 answers name no run that does not exist"] = not ghost_ids
    unannounced = {rid: row for rid, row in rows.items() if rid not in accepted}
    told = {s.run_id for s in rejected}
    for rid, row in sorted(unannounced.items()):
        how = "named by a 503" if rid in told else "never named to the client"
        print(f"   row not accepted: {rid} {row['status']} ({how}) {row['error_message'] or ''}")

    print("2. final status of the accepted runs (the database)")
    final = {rid: (rows.get(rid) or {}).get("status", "MISSING") for rid in accepted}
    for status, count in sorted(Counter(final.values()).items()):
        print(f"   {status:30s} {count:4d}")
    stuck = sorted(rid for rid, status in final.items() if status not in TERMINAL)
    print(f"   STUCK after {waited_s:.0f} s (deadline {deadline_s:.0f} s)   {len(stuck):4d}")
    for rid in stuck:
        row = rows.get(rid) or {}
        print(f"     {rid} {row.get('status')} attempts={row.get('attempts')} "
              f"worker={row.get('worker')} faults={touched_by(campaign, rid, row) if row else []}"
              f" redis={_redis_state(campaign, rid)}")  # fmt: skip
    goals["no accepted run is STUCK"] = not stuck

    print("3. FAILED runs")
    not_own = []
    for rid in sorted(rid for rid, status in final.items() if status == RunStatus.FAILED):
        row = rows[rid]
        own, why = own_fault(row["error_message"])
        if not own:
            not_own.append(rid)
        print(f"   {rid} attempts={row['attempts']} faults={touched_by(campaign, rid, row)}")
        print(f"     error: {row['error_message']!r}")
        print(f"     its own fault: {'yes' if own else 'NO'} ({why})")
    if not any(status == RunStatus.FAILED for status in final.values()):
        print("   (none)")
    goals["every FAILED accepted run failed for its own fault"] = not not_own

    print("4. exactly once (consumer log lines in the scaler's log, and the rows)")
    twice = sorted(rid for rid, n in logs.succeeded.items() if n > 1)
    print(f"   runs logged 'succeeded in' more than once     {len(twice):4d}  {twice}")
    succeeded_rows = sorted(rid for rid, status in final.items() if status == RunStatus.SUCCEEDED)
    unlogged = [rid for rid in succeeded_rows if logs.succeeded[rid] == 0]
    print(f"   SUCCEEDED rows without a 'succeeded in' line  {len(unlogged):4d}  {unlogged}")
    mismatched = {}
    for rid in succeeded_rows:
        problem = result_matches(campaign.db, rid, accepted[rid].payload)
        if problem:
            mismatched[rid] = problem
    print(f"   stored results not this run's                 {len(mismatched):4d}  {mismatched}")
    attempts = {rid: (rows.get(rid) or {}).get("attempts") or 0 for rid in accepted}
    over = {rid: n for rid, n in attempts.items() if n > MAX_ATTEMPTS}
    print(f"   rows with attempts > {MAX_ATTEMPTS} (re-deliveries count)   {len(over):4d}  {over}")
    lost = sorted(
        rid
        for rid in set(logs.succeeded) | set(logs.nothing_stored)
        if (rows.get(rid) or {}).get("status") != RunStatus.SUCCEEDED
    )
    print(f"   computed but lost (logged, row not SUCCEEDED)  {len(lost):4d}  {lost}")
    again = {rid: n for rid, n in sorted(logs.attempts_logged.items()) if n > 1 and rid in accepted}
    extra = sum(again.values()) - len(again)
    print(f"   runs executed more than once ('running' lines)  {len(again):4d}  "
          f"({extra} extra executions: retries and re-deliveries)")  # fmt: skip
    recomputed = []
    for rid, n in again.items():
        row = rows.get(rid) or {}
        faults = touched_by(campaign, rid, row) if row else []
        if faults == ["re-delivered"]:
            recomputed.append(rid)
        print(f"     {rid} x{n} attempts={row.get('attempts')} faults={faults}")  # fmt: skip
    print(f"   re-delivered only, yet executed again          {len(recomputed):4d}  {recomputed}")
    gave_up = sorted(logs.gave_up)
    recovered = sum(1 for rid in gave_up if final.get(rid) == RunStatus.SUCCEEDED)
    print(f"   runs whose consumer gave up on the database    {len(gave_up):4d}  "
          f"({recovered} of them SUCCEEDED in the end)")  # fmt: skip
    goals["no run SUCCEEDED twice"] = not twice
    goals["a duplicate delivery is never executed again"] = not recomputed
    goals["no computed result lost"] = not lost
    goals["every stored result is its run's"] = not mismatched

    print("5. submit-to-terminal time of the accepted runs (created_at -> completed_at; a run")
    print("   alive during no fault may still wait behind the backlog a fault left)")
    documented = HEARTBEAT_S + REAPER_INTERVAL_S + campaign.args.outage
    pending_bound = PENDING_GRACE.total_seconds() + REAPER_INTERVAL_S
    print(f"   documented recovery: heartbeat {HEARTBEAT_S} s + reaper {REAPER_INTERVAL_S} s + "
          f"outage {campaign.args.outage:.0f} s = {documented:.0f} s "
          f"(a PENDING run lost with Redis: {pending_bound:.0f} s)")  # fmt: skip
    groups: dict[str, list[float]] = {"all": [], "alive during no fault": []}
    for rid in accepted:
        row = rows.get(rid)
        if row is None or row["status"] not in TERMINAL:
            continue
        elapsed = utc_epoch(row["completed_at"]) - utc_epoch(row["created_at"])
        groups["all"].append(elapsed)
        faults = touched_by(campaign, rid, row)
        groups.setdefault("alive during a fault" if faults else "alive during no fault", []).append(
            elapsed
        )
        for fault in faults:
            groups.setdefault(f"touched: {fault}", []).append(elapsed)
    for label, values in groups.items():
        print(distribution(label, values))

    print("6. faults injected")
    modes = Counter(kill.mode for kill in campaign.kills)
    print(f"   consumers SIGKILLed mid-run     {len(campaign.kills):4d}  {dict(modes)}")
    for kill in campaign.kills:
        row = rows.get(kill.run_id) or {}
        print(f"     t+{kill.at - campaign.timeline.started_at:6.1f}s {kill.mode:8s} "
              f"{kill.run_id} (was {kill.row_status}) -> {row.get('status')} "
              f"attempts={row.get('attempts')}")  # fmt: skip
    for note in campaign.timeline.notes:
        if "SIGKILL" not in note:
            print(f"   {note}")
    exits = dict(sorted(logs.exits.items()))
    print(f"   consumer exit codes other than 0 (scaler log)  {exits}")
    print(f"   tracebacks in the logs          {logs.tracebacks:4d} (chained ones count apart)")
    print(f"   reaper passes that failed       {logs.reaper_failures:4d}")
    print("   warnings and errors in the logs (ids and numbers blanked)")
    for line, count in logs.notable.most_common():
        print(f"     {count:3d} x {line}")

    print("7. poisoned queue entries")
    pushed = Counter(p.kind for p in campaign.poisons)
    kinds = dict(sorted(pushed.items()))
    print(f"   pushed                          {len(campaign.poisons):4d}  {kinds}")
    client = campaign.redis.client()
    try:
        now_records = [json.loads(r) for r in client.lrange(quarantine_key(campaign.queue), 0, -1)]
        waiting = {
            v.decode(errors="replace") for v in client.lrange(queue_key(campaign.queue), 0, -1)
        }
    finally:
        client.close()
    records = campaign.timeline.quarantined_before_restart + now_records
    quarantined_ids = Counter(record["id"] for record in records)
    print(f"   LRANGE {quarantine_key(campaign.queue)}: {len(now_records)} now, "
          f"{len(campaign.timeline.quarantined_before_restart)} before the Redis restart "
          f"({len(records)} in all; {logs.quarantine_lines} 'quarantined' log lines)")  # fmt: skip
    for reason, count in Counter(record["reason"][:70] for record in records).most_common():
        print(f"     {count:3d} x {reason}")
    restart = campaign.timeline.redis_restart_at or float("inf")
    unaccounted, lost_with_redis = [], []
    for poison in campaign.poisons:
        if poison.kind in RE_DELIVERIES[:2] or quarantined_ids[poison.entry]:
            continue
        if poison.kind == "dependents":  # refused only if its job was still to be taken
            continue
        if poison.at < restart and campaign.timeline.redis_restart_at is not None:
            lost_with_redis.append(poison.entry)
        else:
            unaccounted.append(f"{poison.kind}:{poison.entry}")
    left = sorted(e for e in waiting if e in {p.entry for p in campaign.poisons})
    print(f"   pushed before the restart and lost with it {len(lost_with_redis):4d}")
    print(f"   neither quarantined nor lost         {len(unaccounted):4d}  {unaccounted}")
    print(f"   still in the queue list              {len(left):4d}  {left}")
    print(f"   builtins.print executed ({campaign.marker} in a log)  {logs.marker_seen}")
    print(f"   a callback resolved ({ZEN!r} in a log)  {logs.callback_resolved}")
    goals["every poisoned entry quarantined, none executed"] = (
        not unaccounted and not left and not logs.marker_seen and not logs.callback_resolved
    )

    print("8. goals")
    for goal, held in goals.items():
        print(f"   {'ok  ' if held else 'FAIL'} {goal}")
    print(f"   logs: {campaign.stack.workdir}")
    return all(goals.values())


def _redis_state(campaign: Campaign, run_id: str) -> str:
    client = campaign.redis.client()
    try:
        status = client.hget(JOB_KEY_PREFIX + run_id, "status")
        listed = client.lpos(queue_key(campaign.queue), run_id) is not None
        return f"job={status.decode() if status else None} listed={listed}"
    except RedisError as exc:
        return type(exc).__name__
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40, help="runs submitted (at least 40)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--mean-gap", type=float, default=1.75, help="s between submissions")
    parser.add_argument("--kills", type=int, default=None, help="consumers killed (runs/4)")
    parser.add_argument("--outage", type=float, default=15.0, help="s the database is cut")
    parser.add_argument("--burst", type=int, default=6, help="long runs sent just before the cut")
    parser.add_argument(
        "--db-retry-seconds",
        type=float,
        default=10.0,
        help="DB_RETRY_SECONDS of the stack: shorter than the outage, so consumers give up "
        "and the reaper's requeue is exercised",
    )
    parser.add_argument("--deadline", type=float, default=300.0, help="s to wait after faults")
    args = parser.parse_args()
    if args.runs < 40:
        parser.error("--runs must be at least 40")
    args.kills = max(4, args.runs // 4) if args.kills is None else args.kills

    workdir = Path(tempfile.mkdtemp(prefix="fault-campaign-"))
    campaign = Campaign(args, workdir)
    ok = False
    try:
        print(f"fault campaign: {args.runs} runs, seed {args.seed}, queue {campaign.queue}")
        print(
            f"   database {campaign.db.name} via proxy :{campaign.proxy.port}, private redis "
            f":{campaign.redis.port}, DB_RETRY_SECONDS {args.db_retry_seconds:g}"
        )
        campaign.stack.start()
        campaign.timeline = Timeline()
        campaign.began = time.monotonic()
        threads = [
            threading.Thread(target=campaign.schedule, daemon=True),
            threading.Thread(target=campaign.kill_loop, daemon=True),
            threading.Thread(target=campaign.poison_loop, daemon=True),
        ]
        for thread in threads:
            thread.start()
        campaign.submit_all()
        campaign.stop_faults.set()
        for thread in threads:
            thread.join(timeout=args.outage + 30)
        waited = campaign.wait_terminal(args.deadline)
        ok = report(campaign, waited, args.deadline)
    finally:
        campaign.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
