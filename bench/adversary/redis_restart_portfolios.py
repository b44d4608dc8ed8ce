"""Adversary scenario: Redis restarted empty while portfolios run their second attempt, a
consumer killed while it holds the queue's maintenance lock, and consumers killed together
with Redis's copy of their jobs.

It starts its own servers (``bench.fault_campaign``: a private ``redis-server`` that can be
restarted empty, a scratch MariaDB database migrated to head; ``tests.stack.LocalStack``:
the web and the local scaler, whose reaper passes every SCALER_REAPER_INTERVAL, 30 s as
documented) on a data folder of synthetic tickers of its own, then:

1. **The restart.** ``--portfolios`` portfolios are submitted (``POST /api/portfolios``);
   the work-horse of each one's first delivery is SIGKILLed as soon as it runs (RQ retries
   it at once: attempt 2), and each second delivery's work-horse is held (SIGSTOP) to stand
   in for a long compute. Redis is restarted empty, the holds last ``--hold`` seconds (the
   reaper passes meanwhile, past its RUNNING grace), then the work-horses go on.
2. **The lock.** With the scaler paused, ``--stranded`` portfolios are submitted and their
   ids moved to the queue's intermediate list (consumers killed between taking an id and
   running it), and a process taking the maintenance lock as a consumer does is SIGKILLed
   mid-cleanup; then the scaler goes on.
3. **A dead consumer and Redis lost.** ``--dead`` portfolios' consumers are SIGKILLed (parent
   and work-horse) once they have computed long enough to beat in the database, and Redis
   is restarted empty: only the database heartbeat going stale tells the reaper they need a
   new delivery.

The recovery time is the fault to the item's RUNNING again.
Goals: every accepted portfolio SUCCEEDED, none FAILED, none lost (never terminal), none
computed twice (two completed computes in the consumers' log), none stuck past the
documented recovery time (``consumer.reaper.recovery_time``), and the largest recovery
time of parts 2 and 3 within it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import bindparam, text

from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis, read_logs, utc_epoch
from bench.portfolio_queue_bench import FIRST_DAY, write_universe
from consumer.reaper import recovery_time
from tests.consumer.support import kill_while_holding_maintenance_lock
from tests.stack import LocalStack, wait_until
from work.queue import queue_key
from work.status import RunStatus

NAME = "redis_restart_portfolios"
REAPER_INTERVAL_S = 30
"""The local scaler's documented reaper interval (SCALER_REAPER_INTERVAL's default)."""
PORTFOLIOS = 4
STRANDED = 3
DEAD = 2
HOLD_S = 75.0
"""How long the second deliveries stay mid-compute after the restart: past the reaper's
RUNNING grace (30 s) and at least one pass after it."""
TICKERS, YEARS = 200, 20
TERMINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED)
COMPUTE_ALLOWANCE_S = 120.0
"""Time a portfolio may still need to compute once it was let go (not a recovery)."""


@dataclass
class Case:
    """One part's accepted portfolios and what happened to them."""

    ids: list[str] = field(default_factory=list)
    rejected: int = 0
    fault_at: float = 0.0
    """When the fault happened (epoch s)."""
    released_at: float = 0.0
    """When the platform was let go (epoch s): holds ended, scaler resumed."""
    rows: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _request(tickers: list[str], seed: int) -> dict:
    return {
        "tickers": tickers,
        "start_date": str(FIRST_DAY),
        "end_date": str(FIRST_DAY + 365 * YEARS - 30),
        "fee_rate": 0.001,
        "allocation": {
            "method": "rank",
            "score": "roc(close, $n)",
            "filter": "close > sma(close, 200)",
            "top_n": 40,
        },
        "rebalance": {"schedule": "weekly"},
        "params": {"n": 20 + seed},
    }


def _submit(stack: LocalStack, tickers: list[str], count: int, case: Case, first: int) -> None:
    for number in range(first, first + count):
        answer = requests.post(
            f"{stack.base_url}/api/portfolios", json=_request(tickers, number), timeout=30
        )
        if answer.status_code == 202:
            case.ids.append(answer.json()["portfolio_id"])
        else:
            case.rejected += 1
            case.notes.append(f"submission refused {answer.status_code}: {answer.text[:120]}")


def _rows(db: CampaignDatabase, ids: list[str]) -> dict[str, dict]:
    query = text(
        "SELECT portfolio_id, status, attempts, worker, started_at, completed_at, heartbeat_at,"
        " error_message"
        " FROM portfolios WHERE portfolio_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    with db.engine.connect() as connection:
        return {
            row.portfolio_id: dict(row._mapping) for row in connection.execute(query, {"ids": ids})
        }


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signum)


def _horse(row: dict) -> int | None:
    """The work-horse running the row: its worker column is ``<pod>:<pid of the horse>``."""
    worker = row.get("worker") or ""
    pid = worker.rsplit(":", 1)[-1]
    return int(pid) if pid.isdigit() else None


def _to_second_attempts(db: CampaignDatabase, case: Case, timeout: float) -> dict[str, int]:
    """Kill each first delivery's work-horse, hold each second delivery's; the held horses."""
    killed: set[str] = set()
    held: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while len(held) < len(case.ids) and time.monotonic() < deadline:
        for item, row in _rows(db, case.ids).items():
            horse = _horse(row)
            if row["status"] != RunStatus.RUNNING or horse is None or item in held:
                continue
            if row["attempts"] == 1 and item not in killed:
                _signal(horse, signal.SIGKILL)
                killed.add(item)
            elif row["attempts"] >= 2:
                _signal(horse, signal.SIGSTOP)
                held[item] = horse
        time.sleep(0.02)
    case.notes.append(
        f"first deliveries killed {len(killed)}, second deliveries held {len(held)} "
        f"of {len(case.ids)}"
    )
    return held


def _wait_terminal(db: CampaignDatabase, case: Case, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: all(r["status"] in TERMINAL for r in _rows(db, case.ids).values()),
            timeout,
            interval=1.0,
            what="every portfolio terminal",
        )
    case.rows = _rows(db, case.ids)


def _restart_case(
    stack: LocalStack, redis: PrivateRedis, db: CampaignDatabase, tickers: list[str], args
) -> Case:
    case = Case()
    _submit(stack, tickers, args.portfolios, case, first=0)
    held = _to_second_attempts(db, case, timeout=240)
    try:
        case.fault_at = time.time()
        down = redis.restart_empty()
        case.notes.append(f"Redis restarted empty ({down:.1f} s down), {len(held)} held")
        time.sleep(args.hold)
        during = _rows(db, case.ids)
        ended = sorted(r["status"] for r in during.values() if r["status"] != RunStatus.RUNNING)
        case.notes.append(f"after {args.hold:.0f} s held: not RUNNING {ended or 'none'}")
    finally:
        for horse in held.values():
            _signal(horse, signal.SIGCONT)
    case.released_at = time.time()
    _wait_terminal(db, case, recovery_time(_reaper()).total_seconds() + COMPUTE_ALLOWANCE_S)
    return case


def _lock_case(
    stack: LocalStack, redis: PrivateRedis, db: CampaignDatabase, tickers: list[str], args
) -> Case:
    case = Case()
    scaler = stack.processes[-1]
    connection = redis.client()
    key = queue_key(stack.queue)
    scaler.send_signal(signal.SIGSTOP)
    try:
        _submit(stack, tickers, args.stranded, case, first=100)
        for _ in case.ids:
            connection.lmove(key, f"{key}:intermediate", "RIGHT", "LEFT")
        killed = kill_while_holding_maintenance_lock(redis.url, stack.queue)
        case.fault_at = time.time()
        lock_ttl = connection.ttl(f"rq:clean_registries:{stack.queue}")
        case.notes.append(
            f"{connection.llen(f'{key}:intermediate')} ids stranded in the intermediate list; "
            f"lock holder exited {killed.returncode}, its lock's life {lock_ttl} s"
        )
    finally:
        scaler.send_signal(signal.SIGCONT)
    case.released_at = case.fault_at
    _wait_terminal(db, case, recovery_time(_reaper()).total_seconds() + COMPUTE_ALLOWANCE_S)
    return case


def _dead_consumer_case(
    stack: LocalStack, redis: PrivateRedis, db: CampaignDatabase, tickers: list[str], args
) -> Case:
    case = Case()
    _submit(stack, tickers, args.dead, case, first=200)
    held: dict[str, int] = {}
    deadline = time.monotonic() + 240
    while len(held) < len(case.ids) and time.monotonic() < deadline:
        for item, row in _rows(db, case.ids).items():
            horse = _horse(row)
            if row["status"] == RunStatus.RUNNING and horse is not None and item not in held:
                _signal(horse, signal.SIGSTOP)  # until its consumer has beaten once
                held[item] = horse
        time.sleep(0.02)
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: all(r["heartbeat_at"] for r in _rows(db, case.ids).values()),
            60,
            what="a database heartbeat of each",
        )
    for horse in held.values():
        parent = _parent(horse)
        _signal(horse, signal.SIGKILL)
        if parent is not None:
            _signal(parent, signal.SIGKILL)
    case.fault_at = case.released_at = time.time()
    down = redis.restart_empty()
    case.notes.append(
        f"{len(held)} consumers killed mid-compute after a beat (parent and work-horse), Redis "
        f"restarted empty ({down:.1f} s down)"
    )
    _wait_terminal(db, case, recovery_time(_reaper()).total_seconds() + COMPUTE_ALLOWANCE_S)
    return case


def _parent(pid: int) -> int | None:
    """The consumer process whose work-horse ``pid`` is (its parent), if it still runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _recoveries(case: Case) -> list[float]:
    """Fault to RUNNING again, per item (never started again: infinite)."""
    starts = [utc_epoch(row["started_at"]) or 0.0 for row in case.rows.values()]
    return [start - case.fault_at if start > case.fault_at else float("inf") for start in starts]


def _reaper() -> timedelta:
    return timedelta(seconds=REAPER_INTERVAL_S)


def _computed_twice(logs: str, ids: list[str]) -> int:
    facts = read_logs([logs], marker=uuid.uuid4().hex)
    return sum(1 for i in ids if facts.succeeded[i] + facts.nothing_stored[i] > 1)


def _report(restart: Case, lock: Case, dead: Case, logs: str) -> ScenarioReport:
    documented = recovery_time(_reaper()).total_seconds()
    cases = (restart, lock, dead)
    rows = [row for case in cases for row in case.rows.values()]
    accepted = sum(len(case.ids) for case in cases)
    succeeded = sum(row["status"] == RunStatus.SUCCEEDED for row in rows)
    failed = [row for row in rows if row["status"] == RunStatus.FAILED]
    lost = accepted - sum(row["status"] in TERMINAL for row in rows)
    stuck = sum(
        row["status"] not in TERMINAL
        or utc_epoch(row["completed_at"]) - case.released_at > documented + COMPUTE_ALLOWANCE_S
        for case in cases
        for row in case.rows.values()
    )
    finished = [
        utc_epoch(row["completed_at"]) - restart.released_at
        for row in restart.rows.values()
        if row["completed_at"] is not None
    ]
    recovered = {"lock": _recoveries(lock), "dead consumer": _recoveries(dead)}
    notes = [*restart.notes, *lock.notes, *dead.notes]
    notes += [f"FAILED {row['portfolio_id']}: {row['error_message']}" for row in failed]
    notes.append(f"restart: released to SUCCEEDED max {max(finished, default=0):.1f} s")
    notes += [
        f"{name}: fault to RUNNING again {', '.join(f'{r:.0f}' for r in sorted(times))} s"
        for name, times in recovered.items()
    ]
    notes.append(
        f"documented recovery time {documented:.0f} s (reaper every {REAPER_INTERVAL_S} s)"
    )
    every = [time_ for times in recovered.values() for time_ in times]
    return ScenarioReport(
        scenario=NAME,
        notes=notes,
        goals=[
            Goal("accepted portfolios SUCCEEDED", succeeded, accepted, at_most=False),
            Goal("portfolios FAILED", len(failed), 0),
            Goal("portfolios lost (never terminal)", lost, 0),
            Goal("stuck past the documented recovery time", stuck, 0),
            Goal("computed twice", _computed_twice(logs, [i for c in cases for i in c.ids]), 0),
            Goal(
                "max recovery time (stranded ids; dead consumer + Redis lost)",
                round(max(every, default=float("inf")), 1),
                documented,
                unit=" s",
            ),
        ],
    )


def run(args: argparse.Namespace) -> ScenarioReport:
    """The three parts on servers of its own (module docstring); stops them before returning."""
    defaults = {"portfolios": PORTFOLIOS, "stranded": STRANDED, "dead": DEAD, "hold": HOLD_S}
    for name, default in defaults.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    with tempfile.TemporaryDirectory(prefix="adversary-redis-restart-") as work:
        workdir = Path(work)
        redis = PrivateRedis(workdir)
        db = stack = None
        try:
            db = CampaignDatabase()
            data = workdir / "data"
            data.mkdir()
            tickers = write_universe(data, TICKERS, YEARS)
            stack = LocalStack(
                database_url=db.url,
                redis_url=redis.url,
                workdir=workdir / "stack",
                extra_env={
                    "DATA_DIR": str(data),
                    "SCALER_REAPER_INTERVAL": str(REAPER_INTERVAL_S),
                    "LOG_LEVEL": "INFO",
                },
                queue=f"adversary-{uuid.uuid4().hex[:8]}",
            ).start()
            restart = _restart_case(stack, redis, db, tickers, args)
            lock = _lock_case(stack, redis, db, tickers, args)
            dead = _dead_consumer_case(stack, redis, db, tickers, args)
            return _report(restart, lock, dead, stack.log("scaler"))
        finally:
            if stack is not None:
                stack.stop()
            redis.stop()
            if db is not None:
                db.drop()


if __name__ == "__main__":
    print("\n".join(run(argparse.Namespace()).lines()))
