"""The function a queued run calls (inside RQ's forked work-horse): RUNNING, execute,
SUCCEEDED or FAILED — recorded in the database, which is the source of truth.

A backtest that fails (bad data, an error in a rule) is recorded as FAILED with a user-safe
message and the function returns normally: the Job must not be retried by Kubernetes.
It raises only when the outcome could not be recorded; RQ then retries the run once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from consumer.claim import mark_claimed
from engine import ENGINE_VERSION
from runs.contract import RequestError, parse_request
from runs.execute import SUCCEEDED, execute
from runs.logs import run_context
from runs.serialize import to_json
from store.db import process_sessionmaker
from store.models import RunStatus
from store.runs import get_run, mark_failed, mark_running, mark_succeeded

logger = logging.getLogger("consumer.jobs")

INTERNAL_ERROR = "internal error while running the backtest; operators can find it by run_id"


def max_result_bytes() -> int:
    """RUN_MAX_RESULT_BYTES (default 12 MiB): the largest result stored. MySQL refuses a
    statement over max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8)."""
    return int(os.environ.get("RUN_MAX_RESULT_BYTES") or 12 * 2**20)


def worker_name() -> str:
    """Who ran it: the pod name (HOSTNAME) and pid."""
    return f"{os.environ.get('HOSTNAME') or socket.gethostname()}:{os.getpid()}"


def run_backtest(payload: dict[str, Any]) -> dict[str, str]:
    """Execute one queued run and record its outcome. Returns {"run_id", "status"}."""
    mark_claimed()
    run_id = str(payload.get("run_id", "")) if isinstance(payload, dict) else ""
    with run_context(run_id or "-"), process_sessionmaker()() as session:
        if not mark_running(session, run_id, worker_name()):
            row = get_run(session, run_id)
            state = row.status if row else "unknown to the database"
            logger.warning("not started: run is %s (duplicate or late delivery ignored)", state)
            return {"run_id": run_id, "status": "SKIPPED"}
        logger.info("running (attempt %s)", get_run(session, run_id).attempts)
        started = time.perf_counter()
        try:
            request = parse_request(payload, strict=False)
            result = execute(request)
        except RequestError as exc:
            message = f"{exc.field}: {exc.message}"
            logger.info("failed as a backtest: %s", message)
            mark_failed(session, run_id, message, engine_version=ENGINE_VERSION)
            return {"run_id": run_id, "status": RunStatus.FAILED}
        except Exception:
            logger.exception("backtest raised")
            mark_failed(session, run_id, INTERNAL_ERROR, engine_version=ENGINE_VERSION)
            return {"run_id": run_id, "status": RunStatus.FAILED}

        result_json = to_json(result)
        if len(result_json) > max_result_bytes():
            message = (
                f"the result is {len(result_json) / 2**20:.1f} MiB, over the "
                f"{max_result_bytes() / 2**20:.0f} MiB limit: narrow the dates or set charts false"
            )
            logger.warning("not stored: %s", message)
            mark_failed(session, run_id, message, engine_version=ENGINE_VERSION)
            return {"run_id": run_id, "status": RunStatus.FAILED}
        recorded = mark_succeeded(
            session,
            run_id,
            result_json=result_json,
            metrics=result.metrics,
            data_hash=result.data_hash,
            engine_version=result.engine_version,
        )
        elapsed = (time.perf_counter() - started) * 1000
        if not recorded:
            logger.warning("finished in %.0f ms but the run was no longer RUNNING; kept", elapsed)
            return {"run_id": run_id, "status": "SKIPPED"}
        logger.info("succeeded in %.0f ms (%s trades)", elapsed, result.metrics.get("num_trades"))
        return {"run_id": run_id, "status": SUCCEEDED}
