"""Runs as a kind of queued work (``work.kind``): one backtest per message, stored in
``backtest_results`` with its result JSON.

The web imports this module to enqueue; ``kinds.runs.execute`` imports the adapters (matplotlib)
only when a run executes, so that stays out of the web. A Job's path through this module
(``kinds.runs.state``) imports no SQLAlchemy; only the reaper's hooks load ``kinds.runs.store``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config import process
from engine import ENGINE_VERSION
from kinds.runs.contract import RunRequest
from kinds.runs.execute import execute
from kinds.runs.serialize import to_json
from kinds.runs.state import mark_failed, mark_running, mark_succeeded, stored_run
from work.kind import Claim, WorkFailed, WorkKind

if TYPE_CHECKING:  # pragma: no cover
    from rq import Queue
    from rq.job import Job
    from sqlalchemy.orm import Session

    from store.dbapi import Tx
    from store.models import BacktestRun

RUN_FUNCTION = "consumer.jobs.run_backtest"
"""What a queued run calls, by dotted path (args: the request as a JSON object). The name
of every run ever queued: it stays, so queued messages keep resolving."""


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

    def store(self, tx: Tx) -> bool:
        return mark_succeeded(
            tx,
            self.run_id,
            result_json=self.result_json,
            metrics=self.metrics,
            data_hash=self.data_hash,
            engine_version=self.engine_version,
        )

    def summary(self, elapsed_ms: float) -> str:
        return f"succeeded in {elapsed_ms:.0f} ms ({self.metrics.get('num_trades')} trades)"


def compute(claim: Claim, payload: dict[str, Any]) -> RunExecution:
    """Execute the run's stored request (``payload``: ``request_json``, validated when it was
    stored) and serialise its result (``kinds.runs.execute``).

    :raise RequestError: the request or its data cannot serve a backtest.
    :raise WorkFailed: the result is over ``max_result_bytes``.
    """
    result = execute(RunRequest.from_stored(payload))
    result_json = to_json(result)
    if len(result_json) > max_result_bytes():
        raise WorkFailed(
            f"the result is {len(result_json) / 2**20:.1f} MiB, over the "
            f"{max_result_bytes() / 2**20:.0f} MiB limit: narrow the dates or set charts false"
        )
    return RunExecution(
        claim.item_id, result_json, result.metrics, result.data_hash, result.engine_version
    )


def _mark_running(tx: Tx, claim: Claim) -> bool:
    return mark_running(tx, claim.item_id, claim.worker)


def _fail_execution(tx: Tx, run_id: str, message: str) -> bool:
    """A failed execution records the engine version that tried it."""
    return mark_failed(tx, run_id, message, engine_version=ENGINE_VERSION)


def _in_status(session: Session, status: str, **where: Any) -> list[BacktestRun]:
    """The reaper's list (``kinds.runs.store.runs_in_status``, loaded only by the reaper)."""
    from kinds.runs.store import runs_in_status

    return runs_in_status(session, status, **where)


def _requeue(queue: Queue, row: BacktestRun) -> None:
    enqueue_run(queue, RunRequest.from_stored(json.loads(row.request_json)))


def _describe(payload: dict[str, Any]) -> str:
    return f"backtest {payload['ticker']} {payload['rule_id']}"


def run_backtest(payload: dict[str, Any]) -> dict[str, str]:
    """The job function of a queued run (``RUN_FUNCTION`` re-exports it): the work-item
    skeleton with this kind. Returns {"run_id", "status"}."""
    from work.lifecycle import run_item

    return run_item(RUN, payload)


RUN = WorkKind(
    name="run",
    function=RUN_FUNCTION,
    id_field="run_id",
    mark_running=_mark_running,
    mark_failed=mark_failed,
    get=stored_run,
    compute=compute,
    in_status=_in_status,
    requeue=_requeue,
    describe=_describe,
    fail_execution=_fail_execution,
)
"""The run kind."""


def enqueue_run(queue: Queue, request: RunRequest) -> Job:
    """Push one run. ``unique=True``: an id that is already queued or known is refused
    (``rq.exceptions.DuplicateJobError``), so a run cannot be queued twice. ``Retry(max=1)``:
    a run whose worker died (abandoned, or its work-horse killed) is retried once, then failed.
    """
    return RUN.enqueue(queue, request.to_dict())
