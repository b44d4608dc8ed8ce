"""The largest study the validator accepts, through the queue: 20,000 trials in batches of
2,000, eight batches at once (RSI on ACME 2014–2024, four parameters), submitted to a
LocalStack (web + local scaler on a scratch MariaDB database and a private redis-server)
and waited for. The attack it replays ended FAILED with half its trials: concurrent batches
lost InnoDB deadlocks storing trials and the computed ones were thrown away. Then the ended
study is read as its adversary read it: six status documents at once (each was 1.37 MB and
took 5.6–13.4 s, ``/health`` up to 3.2 s beside them) and its trials a page at a time (the
whole list was 12.5 MB in 3.6 s), with ``/health`` polled in a thread throughout.

Goals: the study SUCCEEDED; 20,000 trials stored (COMPLETE or PRUNED), none past the
budget; every batch SUCCEEDED; no trial computed twice (a FAIL trial asked again, or a
batch delivered more than once); no log line of a deadlock or lock-wait timeout that ended
in a failure (a lock conflict that was tried again and committed is counted in the notes);
no status read during the study failed (a read that times out is counted, never a crash);
each of the six concurrent status reads within ``STATUS_BUDGET_S`` and its document within
``DOCUMENT_MAX_BYTES``; each trials page within ``PAGE_BUDGET_S``; ``/health`` within
``HEALTH_BUDGET_S`` throughout (while the study runs and is polled, and during the
reads). The wall time is printed: the machine is shared, so the deadline is generous.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import text

from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis
from kinds.studies.fields import MAX_BATCH_SIZE, MAX_PARALLELISM, MAX_TRIALS
from tests.stack import ENDED, LocalStack, wait_until

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

READERS = 6
"""Status documents read at once, as the adversary read them."""

STATUS_BUDGET_S = 2.0
"""Most seconds one of the six concurrent status reads may take."""

DOCUMENT_MAX_BYTES = 64_000
"""Most bytes of the status document (its size does not grow with the trials)."""

PAGE_BUDGET_S = 2.0
"""Most seconds one page of ``GET …/trials`` may take (1,000 trials, or 25 sorted)."""

HEALTH_BUDGET_S = 1.0
"""Most seconds ``/health`` may take, while the study runs and while it is read."""

HEALTH_EVERY_S = 0.25
"""How often the probe asks ``/health``."""

READ_TIMEOUT_S = 60.0
"""A read slower than this is counted as failed (never a crash of the scenario)."""

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


class HealthProbe:
    """``/health`` asked every ``HEALTH_EVERY_S`` in a thread while in a ``with`` block: the
    slowest answer (a failed or timed-out one counts as ``READ_TIMEOUT_S``)."""

    def __init__(self, base_url: str):
        self.url = f"{base_url}/health"
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                ok = requests.get(self.url, timeout=READ_TIMEOUT_S).status_code == 200
            except requests.RequestException:
                ok = False
            self.times.append(time.monotonic() - began if ok else READ_TIMEOUT_S)
            self._stop.wait(HEALTH_EVERY_S)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def slowest(self) -> float:
        return max(self.times, default=0.0)


def _timed_get(url: str, **params: Any) -> tuple[float, int, dict[str, Any] | None]:
    """(seconds, bytes, the JSON body or None when the read failed or timed out)."""
    began = time.monotonic()
    try:
        answer = requests.get(url, params=params, timeout=READ_TIMEOUT_S)
        answer.raise_for_status()
        return time.monotonic() - began, len(answer.content), answer.json()
    except (requests.RequestException, ValueError):
        return READ_TIMEOUT_S, 0, None


def _study(stack: LocalStack, database: CampaignDatabase) -> tuple[dict[str, Any], float]:
    """Submit BODY, wait for it to end: (figures with the failed status reads and the
    slowest ``/health`` meanwhile, wall seconds)."""
    began = time.monotonic()
    answer = requests.post(f"{stack.base_url}/api/studies", json=BODY, timeout=60)
    answer.raise_for_status()
    study_id = answer.json()["study_id"]
    status_url = stack.base_url + answer.json()["status_url"]
    failed = 0

    def ended() -> bool:
        nonlocal failed
        _, _, body = _timed_get(status_url)
        failed += body is None
        return body is not None and body["status"] in ENDED

    with contextlib.suppress(TimeoutError), HealthProbe(stack.base_url) as probe:
        wait_until(ended, DEADLINE_S, 2.0, what="the largest study")  # not ended: reported
    figures = _figures(database, study_id)
    figures.update(study_id=study_id, failed_reads=failed, health_running=probe.slowest)
    return figures, time.monotonic() - began


def _reads(stack: LocalStack, study_id: str) -> dict[str, Any]:
    """The ended study read as its adversary read it, ``/health`` polled meanwhile: six
    status documents at once ((seconds, bytes) each), then the first page of its trials,
    the last, and the best 25 by the objective (seconds each; ``READ_TIMEOUT_S`` failed)."""
    status_url = f"{stack.base_url}/api/studies/{study_id}"
    trials_url = f"{status_url}/trials"
    with HealthProbe(stack.base_url) as probe:
        time.sleep(1.0)  # /health answered before the reads begin
        with ThreadPoolExecutor(READERS) as pool:
            status = list(pool.map(lambda _: _timed_get(status_url)[:2], range(READERS)))
        first = _timed_get(trials_url, page=1)
        pages = (first[2] or {}).get("pages", 1)  # an answer without pages: one page
        last = _timed_get(trials_url, page=pages)
        best = _timed_get(trials_url, sort="values.0", order="desc", per_page=25)
        time.sleep(1.0)
    return {
        "status": status,
        "pages": [(name, seconds) for name, (seconds, _, _) in
                  (("first 1,000", first), ("last", last), ("best 25", best))],
        "total": (first[2] or {}).get("total"),
        "health": probe.slowest,
    }  # fmt: skip


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
                reads = _reads(stack, figures["study_id"])
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
        Goal("status reads failed while the study ran", figures["failed_reads"], 0),
    ]
    seconds = [round(t, 2) for t, _ in reads["status"]]
    sizes = [size for _, size in reads["status"]]
    report.notes += [
        f"{READERS} status reads at once: {seconds} s, {max(sizes):,} bytes each at most",
        f"trials pages (of {reads['total']} trials): "
        + ", ".join(f"{name} {t:.2f} s" for name, t in reads["pages"]),
    ]
    report.goals += [
        Goal(f"slowest of {READERS} concurrent status reads", max(seconds), STATUS_BUDGET_S, " s"),
        Goal("largest status document", max(sizes), DOCUMENT_MAX_BYTES, " B"),
        Goal("slowest trials page", round(max(t for _, t in reads["pages"]), 2), PAGE_BUDGET_S,
             " s"),
        Goal("slowest /health while the study ran", round(figures["health_running"], 2),
             HEALTH_BUDGET_S, " s"),
        Goal("slowest /health during the reads", round(reads["health"], 2), HEALTH_BUDGET_S, " s"),
    ]  # fmt: skip
    return report
