"""Runs as a kind of queued work (``work.kind``): one backtest per message, stored in
``backtest_results`` with its result JSON.

The web imports this module to enqueue; ``kinds.runs.execute`` imports the adapters (matplotlib)
only when a run executes, so that stays out of the web. A Job's path through this module
(``kinds.runs.state``) imports no SQLAlchemy; only the reaper's hooks load ``kinds.runs.store``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config import process
from engine import ENGINE_VERSION
from kinds.runs.cache import cache_key
from kinds.runs.contract import RunRequest, RunResult, parse_request
from kinds.runs.execute import execute
from kinds.runs.serialize import to_json
from kinds.runs.settings import RUN_MAX_PENDING_PER_CLIENT, SETTINGS
from kinds.runs.state import TABLE, mark_failed, mark_succeeded
from work.kind import Claim, WorkFailed, WorkKind
from work.logs import run_context
from work.status import RunStatus
from work.telemetry import JOB_OUTCOMES
from work.transitions import ItemTable

if TYPE_CHECKING:  # pragma: no cover
    from rq import Queue
    from rq.job import Job

    from store.dbapi import Tx

logger = logging.getLogger("kinds.runs.kind")

RUNS_SUBMITTED = "backtest_runs_submitted_total"
RUNS_FINISHED = "backtest_runs_finished_total"
RUN_CACHE = "backtest_run_cache_total"
"""The run kind's own telemetry (the web counts submissions, cancellations and the result
cache's answers)."""

CACHE_OUTCOMES = ("hit", "miss", "off")
"""``RUN_CACHE``'s ``outcome``: served from the cache, looked up and not found, not looked
up (``cache: false``)."""

RUN_FUNCTION = "consumer.jobs.run_backtest"
"""The job name every queued run carries (args: the request as a JSON object); the consumer
resolves it through ``kinds.registry`` to ``work.lifecycle.run_item(RUN, …)``. It never
changes: messages already queued carry it."""


def max_result_bytes() -> int:
    """RUN_MAX_RESULT_BYTES (default 12 MiB): the largest result stored. MySQL refuses a
    statement over max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8)."""
    return process.RUN_MAX_RESULT_BYTES.value()


@dataclass(frozen=True)
class RunExecution:
    """An executed backtest, serialised and ready to be stored."""

    run_id: str
    result_json: str
    metrics: dict
    data_hash: str | None
    engine_version: str | None
    cache_key: str | None = None

    def store(self, tx: Tx) -> bool:
        return mark_succeeded(
            tx,
            self.run_id,
            result_json=self.result_json,
            metrics=self.metrics,
            data_hash=self.data_hash,
            engine_version=self.engine_version,
            cache_key=self.cache_key,
        )

    def summary(self, elapsed_ms: float) -> str:
        return f"succeeded in {elapsed_ms:.0f} ms ({self.metrics.get('num_trades')} trades)"


def compute(claim: Claim, payload: dict[str, Any]) -> RunExecution:
    """Execute the run's stored request (``payload``: ``request_json``, validated when it was
    stored) and serialise its result (``kinds.runs.execute``) with its cache key: computed
    here, by the code that made the result, so it names that code's versions and the bytes
    it read (the web's lookup matches it only when its own versions are the same).

    :raise RequestError: the request or its data cannot serve a backtest.
    :raise WorkFailed: the result is over ``max_result_bytes``.
    """
    request = RunRequest.from_stored(payload)
    result = execute_request(request)
    result_json = to_json(result)
    if len(result_json) > max_result_bytes():
        raise WorkFailed(
            f"the result is {len(result_json) / 2**20:.1f} MiB, over the "
            f"{max_result_bytes() / 2**20:.0f} MiB limit: narrow the dates or set charts false"
        )
    key = cache_key(request, result.data_hash) if result.data_hash else None
    return RunExecution(
        claim.item_id, result_json, result.metrics, result.data_hash, result.engine_version, key
    )


def execute_request(request: RunRequest, data_dir: Path | None = None) -> RunResult:
    """A run request's result: a PYTHON strategy run in the sandbox
    (``kinds.runs.python_run``; its failure is a ``WorkFailed`` with the user's message and
    traceback), any other rule through ``kinds.runs.execute``."""
    if request.rule_type == "PYTHON":
        from kinds.runs.python_run import execute_python

        return execute_python(request, data_dir)
    return execute(request, data_dir)


def _fail_execution(tx: Tx, run_id: str, message: str) -> bool:
    """A failed execution records the engine version that tried it."""
    return mark_failed(tx, run_id, message, engine_version=ENGINE_VERSION)


def _expire(session: Any, cutoff: datetime, limit: int) -> int:
    """Delete finished, unpinned runs created before ``cutoff`` (``kinds.runs.store``,
    loaded only by the retention pass)."""
    from kinds.runs.store import delete_expired_runs

    return delete_expired_runs(session, cutoff, limit=limit)


def run_locally(message: dict[str, Any]) -> str:
    """Execute a run request exactly as a Job does, with no queue and no database; its
    result JSON.

    :raise RequestError: the request, or its data, cannot serve a backtest.
    """
    request = parse_request(message)
    with run_context(request.run_id):
        started = time.perf_counter()
        result = execute_request(request)
        logger.info("executed in %.1f ms", (time.perf_counter() - started) * 1000)
    return to_json(result)


def _requeue_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored request, checked again before it is queued again."""
    return RunRequest.from_stored(message).to_dict()


def _describe(payload: dict[str, Any]) -> str:
    return f"backtest {payload['ticker']} {payload['rule_id']}"


RUN = WorkKind(
    name="run",
    function=RUN_FUNCTION,
    items=ItemTable(name=TABLE, id_field="run_id", message_column="request_json"),
    compute=compute,
    describe=_describe,
    fail_execution=_fail_execution,
    requeue_message=_requeue_message,
    expire=_expire,
    run_locally=run_locally,
    settings=SETTINGS,
    client_limit=RUN_MAX_PENDING_PER_CLIENT,
    resource="runs",
    blueprints=("web.api.runs",),
    noun="run",
    schema="web.api.runs.submit:json_schema",
    validate="web.api.runs.submit:validate_request",
    search="kinds.sweeps.run_search:SEARCH",
    telemetry={
        RUNS_SUBMITTED: "Runs accepted by POST /run_backtest and enqueued.",
        RUNS_FINISHED: "Runs that finished, by stored status: a consumer Job's SUCCEEDED or "
        "FAILED (SKIPPED: a duplicate or late delivery, nothing stored), the web's CANCELLED "
        "(a queued run cancelled or deleted).",
        RUN_CACHE: "Run submissions by the result cache's answer: outcome=hit (served from a "
        "stored result, no Job), miss (no readable stored result: a Job runs), off (the request "
        "said cache: false).",
        "backtest_run_duration_seconds": "A run's time in the queue (phase=queue: enqueued to "
        "taken by a Job) and its execution (phase=execution: taken to stored).",
    },
    telemetry_labels={
        RUNS_FINISHED: {"status": (*JOB_OUTCOMES, RunStatus.CANCELLED.value)},
        RUN_CACHE: {"outcome": CACHE_OUTCOMES},
    },
)
"""The run kind."""


def enqueue_run(queue: Queue, request: RunRequest) -> Job:
    """Push one run. ``unique=True``: an id that is already queued or known is refused
    (``rq.exceptions.DuplicateJobError``), so a run cannot be queued twice. ``Retry(max=1)``:
    a run whose worker died (abandoned, or its work-horse killed) is retried once, then failed.
    """
    return RUN.enqueue(queue, request.to_dict())
