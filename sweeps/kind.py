"""The function a queued sweep chunk calls (inside RQ's forked work-horse), with the same
lifecycle as a run (``consumer.jobs``): claim file, RUNNING, evaluate every combination in
one vectorised pass, then results + SUCCEEDED in one transaction — or FAILED with a
user-safe message. It returns normally whenever the outcome is recorded (the Job exits 0);
it raises only when it could not be, and RQ then retries the chunk once.

Each chunk records its own timings: ``startup_ms`` (the consumer process's start to this
function), ``compute_ms`` (data, signals, engine, metrics) and ``write_ms`` (the results
transaction), so a sweep's wall time can be split into start-up, compute and writes.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from consumer.claim import mark_claimed
from consumer.jobs import INTERNAL_ERROR, worker_name
from runs.contract import RequestError
from runs.logs import run_context
from runs.sweep import parse_chunk
from runs.sweep_eval import evaluate_chunk
from store.db import process_sessionmaker
from store.models import RunStatus
from store.sweeps import (
    get_chunk,
    mark_chunk_failed,
    mark_chunk_running,
    record_write_ms,
    store_chunk_results,
)

logger = logging.getLogger("consumer.sweep_jobs")


def process_started_at(pid: int) -> float | None:
    """When process ``pid`` started, as a UNIX time (Linux /proc; 10 ms resolution), or
    None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat: starttime, clock ticks since boot
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _startup_ms(now: float) -> float | None:
    """Milliseconds since the consumer process started: the work-horse is its fork, so the
    consumer is the parent."""
    started = process_started_at(os.getppid())
    return None if started is None else max(0.0, (now - started) * 1000)


def run_chunk(payload: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one queued chunk and record its outcome. Returns {"chunk_id", "status"}."""
    mark_claimed()
    startup_ms = _startup_ms(time.time())
    chunk_id = str(payload.get("chunk_id", "")) if isinstance(payload, dict) else ""
    with run_context(chunk_id or "-"), process_sessionmaker()() as session:
        if not mark_chunk_running(session, chunk_id, worker_name(), startup_ms):
            row = get_chunk(session, chunk_id)
            state = row.status if row else "unknown to the database"
            logger.warning("not started: chunk is %s (duplicate or late delivery ignored)", state)
            return {"chunk_id": chunk_id, "status": "SKIPPED"}
        started = time.perf_counter()
        try:
            rows = evaluate_chunk(parse_chunk(payload))
        except RequestError as exc:
            message = f"{exc.field}: {exc.message}"
            logger.info("failed as a backtest: %s", message)
            mark_chunk_failed(session, chunk_id, message)
            return {"chunk_id": chunk_id, "status": RunStatus.FAILED}
        except Exception:
            logger.exception("chunk raised")
            mark_chunk_failed(session, chunk_id, INTERNAL_ERROR)
            return {"chunk_id": chunk_id, "status": RunStatus.FAILED}
        compute_ms = (time.perf_counter() - started) * 1000

        writing = time.perf_counter()
        stored = store_chunk_results(session, chunk_id, rows, compute_ms)
        write_ms = (time.perf_counter() - writing) * 1000
        if not stored:
            logger.warning("evaluated but the chunk was no longer RUNNING; nothing stored")
            return {"chunk_id": chunk_id, "status": "SKIPPED"}
        record_write_ms(session, chunk_id, write_ms)
        logger.info(
            "succeeded: %d combos, start-up %s ms, compute %.0f ms, write %.0f ms",
            len(rows),
            "?" if startup_ms is None else f"{startup_ms:.0f}",
            compute_ms,
            write_ms,
        )
        return {"chunk_id": chunk_id, "status": RunStatus.SUCCEEDED}
