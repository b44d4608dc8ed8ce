"""The largest study the validator accepts, through the queue: 20,000 trials in batches of
2,000, eight batches at once (RSI on ACME 2014–2024, four parameters), submitted to a
LocalStack (web + local scaler on a scratch MariaDB database and a private redis-server)
and waited for. The attack it replays ended FAILED with half its trials: concurrent batches
lost InnoDB deadlocks storing trials and the computed ones were thrown away.

Goals: the study SUCCEEDED; 20,000 trials stored (COMPLETE or PRUNED), none past the
budget; every batch SUCCEEDED; no trial computed twice (a FAIL trial asked again, or a
batch delivered more than once); no log line of a deadlock or lock-wait timeout that ended
in a failure (a lock conflict that was tried again and committed is counted in the notes).
The wall time is printed: the machine is shared, so the deadline is generous.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import text

from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis
from kinds.studies.fields import MAX_BATCH_SIZE, MAX_PARALLELISM, MAX_TRIALS
from tests.stack import LocalStack, ended, wait_until

BODY: dict[str, Any] = {
    "ticker": "ACME",
    "rule_type": "RSI",
    "start_date": "2014-01-01",
    "end_date": "2024-12-31",
    "space": {
        "period": {"low": 2, "high": 60},
        "oversold": {"low": 5, "high": 45, "step": 0.5},
        "overbought": {"low": 55, "high": 95, "step": 0.5},
        "stop_loss_pct": {"low": 0.5, "high": 20, "step": 0.5},
    },
    "n_trials": MAX_TRIALS,
    "batch_size": MAX_BATCH_SIZE,
    "parallelism": MAX_PARALLELISM,
}
"""The validator's accepted maximum, as the adversary sent it."""

DEADLINE_S = 30 * 60
"""How long the study may take on a shared two-core machine."""

LOCK_ERRORS = re.compile(r"Deadlock found|Lock wait timeout|\(1213|\(1205")
RETRIED = "lost a lock conflict"
"""``work.retry``'s line for a conflict it tries again (not a failure)."""


def _figures(database: CampaignDatabase, study_id: str) -> dict[str, Any]:
    """The study's rows: its status, its trials by state, its batches by status and how
    many were delivered more than once (with their trials)."""
    with database.engine.connect() as connection:
        status = connection.execute(
            text("SELECT status, error_message FROM studies WHERE study_id = :s"), {"s": study_id}
        ).one()
        states = dict(
            connection.execute(
                text("SELECT state, COUNT(*) FROM study_trials WHERE study_id = :s GROUP BY state"),
                {"s": study_id},
            ).all()
        )
        batches = dict(
            connection.execute(
                text(
                    "SELECT status, COUNT(*) FROM study_batches WHERE study_id = :s GROUP BY status"
                ),
                {"s": study_id},
            ).all()
        )
        redelivered = connection.execute(
            text(
                "SELECT COUNT(*) FROM study_trials t JOIN study_batches b ON b.batch_id = "
                "t.batch_id WHERE t.study_id = :s AND b.attempts > 1"
            ),
            {"s": study_id},
        ).scalar_one()
    return {
        "status": status[0],
        "error": status[1],
        "states": {key: int(value) for key, value in states.items()},
        "batches": {key: int(value) for key, value in batches.items()},
        "redelivered": int(redelivered),
    }


def _lock_failures(log: str) -> tuple[int, int]:
    """(lines naming a deadlock or lock-wait timeout that is not a retry that went on,
    retries of a lost lock conflict)."""
    retried = sum(1 for line in log.splitlines() if RETRIED in line)
    failed = sum(1 for line in log.splitlines() if LOCK_ERRORS.search(line) and RETRIED not in line)
    return failed, retried


def _study(stack: LocalStack, database: CampaignDatabase) -> tuple[dict[str, Any], float]:
    """Submit BODY, wait for it to end: (figures, wall seconds)."""
    began = time.monotonic()
    answer = requests.post(f"{stack.base_url}/api/studies", json=BODY, timeout=60)
    answer.raise_for_status()
    study_id = answer.json()["study_id"]
    status_url = stack.base_url + answer.json()["status_url"]
    with contextlib.suppress(TimeoutError):  # reported as not SUCCEEDED
        wait_until(lambda: ended(status_url), DEADLINE_S, 2.0, what="the largest study")
    return _figures(database, study_id), time.monotonic() - began


def run(args: argparse.Namespace) -> ScenarioReport:
    """Run the largest study through a LocalStack of its own; its goals."""
    report = ScenarioReport(scenario="large_study")
    workdir = Path(tempfile.mkdtemp(prefix="adversary-large-study-"))
    redis = PrivateRedis(workdir)
    try:
        database = CampaignDatabase()
        try:
            stack = LocalStack(
                database.url,
                redis.url,
                workdir / "stack",
                extra_env={"LOG_LEVEL": "INFO"},
                queue=f"adv-study-{uuid.uuid4().hex[:8]}",
            ).start()
            try:
                figures, wall = _study(stack, database)
                log = stack.log("scaler") + stack.log("web")
            finally:
                stack.stop()
        finally:
            database.drop()
    finally:
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    states, batches = figures["states"], figures["batches"]
    stored = states.get("COMPLETE", 0) + states.get("PRUNED", 0)
    failed_lines, retried = _lock_failures(log)
    twice = states.get("FAIL", 0) + figures["redelivered"]
    report.notes += [
        f"study {figures['status']} in {wall:.0f} s wall ({MAX_TRIALS} trials, batches of "
        f"{MAX_BATCH_SIZE}, parallelism {MAX_PARALLELISM}); error: {figures['error']}",
        f"trials by state {states}; batches by status {batches}",
        f"lock conflicts tried again and committed: {retried}",
    ]
    report.goals += [
        Goal("study SUCCEEDED", 1.0 if figures["status"] == "SUCCEEDED" else 0.0, 1, at_most=False),
        Goal("trials stored (COMPLETE or PRUNED)", stored, MAX_TRIALS, at_most=False),
        Goal("trials stored past the budget", max(stored - MAX_TRIALS, 0), 0),
        Goal("batches not SUCCEEDED", sum(batches.values()) - batches.get("SUCCEEDED", 0), 0),
        Goal("trials computed twice", twice, 0),
        Goal("deadlock / lock-wait lines that ended in failure", failed_lines, 0),
        Goal("study wall time", round(wall), DEADLINE_S, " s"),
    ]
    return report
