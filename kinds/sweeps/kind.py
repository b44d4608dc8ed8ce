"""Sweep chunks as a kind of queued work (``work.kind``): one chunk of a parameter sweep per
message, whatever kind it searches, evaluated by that kind's search (``work.search``: in one
vectorised pass for runs, point by point otherwise; ``kinds.sweeps.search_sweep``), its
result rows stored with its SUCCEEDED transition and its timings in one transaction.

Each chunk records its own timings: ``startup_ms`` (the consumer process's start to the job
function), ``compute_ms`` (data, signals, engine, metrics) and ``write_ms`` (the results
transaction's statements), so a sweep's wall time can be split into start-up, compute and
writes.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kinds.sweeps.export import CsvPart, part_of
from kinds.sweeps.search_sweep import evaluate_sweep_chunk, read_chunk
from kinds.sweeps.settings import SETTINGS, SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT
from kinds.sweeps.state import (
    CHUNKS,
    mark_chunk_running,
    open_chunks,
    record_write_ms,
    store_chunk_results,
)
from metrics import sweep_metric_keys
from store.dbapi import Database, Tx
from work.kind import Claim, WorkKind
from work.transitions import ItemTable

logger = logging.getLogger("kinds.sweeps.kind")

SWEEPS_SUBMITTED = "backtest_sweeps_submitted_total"
CHUNKS_SUBMITTED = "backtest_sweep_chunks_submitted_total"
"""The sweep kind's submission counters (the web counts them)."""

SWEEP_CACHE = "backtest_sweep_cache_total"
"""Sweep submissions by the result cache's answer (``outcome``: hit, miss, off), as
``backtest_run_cache_total`` for runs."""

CHUNK_FUNCTION = "consumer.sweep_jobs.run_chunk"
"""The job name every queued sweep chunk carries (args: the chunk message as a JSON object);
the consumer resolves it through ``kinds.registry`` to ``work.lifecycle.run_item(CHUNK, …)``.
It never changes."""


def process_started_at(pid: int) -> float | None:
    """When process ``pid`` started, as a UNIX time (Linux /proc: its start in clock ticks
    since boot, 10 ms, against the boot clock now; /proc/stat's ``btime`` is whole seconds,
    which put every start-up up to a second off), or None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat: starttime, clock ticks since boot
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.time() - (since_boot - ticks / os.sysconf("SC_CLK_TCK"))


def startup_ms(now: float) -> float | None:
    """Milliseconds since the consumer process started: the work-horse is its fork, so the
    consumer is the parent."""
    started = process_started_at(os.getppid())
    return None if started is None else max(0.0, (now - started) * 1000)


@dataclass
class ChunkExecution:
    """An evaluated chunk: its result rows, its packed block statistics and Sharpe ratios
    on the grid (``kinds.sweeps.evaluate.EvaluatedChunk``) and how long computing them
    took."""

    chunk_id: str
    rows: list[dict]
    compute_ms: float
    startup_ms: float | None = None
    write_ms: float | None = None
    block_stats: bytes | None = None
    sharpe_grid: bytes | None = None
    csv_part: CsvPart | None = None

    def store(self, tx: Tx) -> bool:
        """Results, SUCCEEDED and ``write_ms`` (the time of the statements before it), in
        the caller's transaction."""
        writing = time.perf_counter()
        if not store_chunk_results(
            tx,
            self.chunk_id,
            self.rows,
            self.compute_ms,
            block_stats=self.block_stats,
            sharpe_grid=self.sharpe_grid,
            csv_part=self.csv_part,
        ):
            return False
        self.write_ms = (time.perf_counter() - writing) * 1000
        record_write_ms(tx, self.chunk_id, self.write_ms)
        return True

    def summary(self, elapsed_ms: float) -> str:
        startup = "?" if self.startup_ms is None else f"{self.startup_ms:.0f}"
        return (
            f"succeeded: {len(self.rows)} combos, start-up {startup} ms, "
            f"compute {self.compute_ms:.0f} ms, write {self.write_ms or 0:.0f} ms"
        )


def compute(claim: Claim, payload: dict[str, Any]) -> ChunkExecution:
    """Evaluate every combination of the chunk with its kind's search
    (``kinds.sweeps.search_sweep.evaluate_sweep_chunk``) and write its part of the sweep's
    CSV from every combination's row (``kinds.sweeps.export``; counted in ``compute_ms``).

    :raise RequestError: the message or its data cannot serve the chunk.
    """
    started = time.perf_counter()
    chunk = evaluate_sweep_chunk(read_chunk(payload))
    part = (
        None
        if chunk.cells is None
        else part_of(chunk.cells, payload["grid_params"], sweep_metric_keys())
    )
    compute_ms = (time.perf_counter() - started) * 1000
    return ChunkExecution(
        claim.item_id,
        chunk.rows,
        compute_ms,
        startup_ms(claim.claimed_at),
        block_stats=chunk.block_stats,
        sharpe_grid=chunk.sharpe_grid,
        csv_part=part,
    )


def _mark_running(tx: Tx, claim: Claim) -> bool:
    return mark_chunk_running(tx, claim.item_id, claim.worker, startup_ms(claim.claimed_at))


def _requeue_message(message: dict[str, Any]) -> dict[str, Any]:
    """A stored chunk message, refused (``RequestError``) if the chunk job could not read it."""
    read_chunk(message)
    return message


def _describe(payload: dict[str, Any]) -> str:
    return (
        f"sweep chunk {payload['chunk_id']} {payload['request']['ticker']} "
        f"{payload.get('combo_count') or len(payload['combos'])} combos"
    )


ON_COMPLETE = "on_complete"
"""An optional field of a chunk message: the follow-up item to queue once every chunk of
the sweep has finished (``work.queue.enqueue_follow_up``; a walk-forward fold's sweep names
its fold). Chunks without it, and consumers older than it, ignore it."""


def _finished(database: Database, claim: Claim, message: dict[str, Any]) -> None:
    """After a chunk's outcome is committed: when no chunk of its sweep is PENDING or
    RUNNING any more, store the sweep's overfitting statistics (``kinds.sweeps.overfitting``;
    once: the last two chunks finishing together store them once) and, when its message
    names a follow-up, queue it (its job id is its item id, so it is queued once)."""
    from work.retry import retry_transaction

    sweep_id = str(message.get("sweep_id", ""))

    def still_open() -> int:
        with database.transaction() as tx:
            return open_chunks(tx, sweep_id)

    if retry_transaction(still_open) != 0:
        return
    if message.get("cscv_blocks"):
        record_overfitting(database, sweep_id)
    follow_up = message.get(ON_COMPLETE)
    if isinstance(follow_up, dict):
        from work.queue import enqueue_follow_up

        if enqueue_follow_up(follow_up) is not None:
            logger.info("sweep finished; queued %s", follow_up.get("job_id"))


def record_overfitting(database: Database, sweep_id: str) -> dict[str, Any] | None:
    """Compute a finished sweep's overfitting statistics and store them if none are stored
    yet; what is stored (None while the sweep is unfinished)."""
    from kinds.sweeps.overfitting import overfitting, store_overfitting
    from work.retry import retry_transaction

    def read() -> dict[str, Any] | None:
        with database.transaction() as tx:
            return overfitting(tx, sweep_id)

    started = time.perf_counter()
    stats = retry_transaction(read)
    if stats is None:
        return None

    def write() -> bool:
        with database.transaction() as tx:
            return store_overfitting(tx, sweep_id, stats)

    retry_transaction(write)
    logger.info(
        "sweep %s: overfitting statistics in %.0f ms: %s",
        sweep_id,
        (time.perf_counter() - started) * 1000,
        stats.get("verdict") or stats.get("unavailable"),
    )
    return stats


CHUNK = WorkKind(
    name="sweep chunk",
    function=CHUNK_FUNCTION,
    items=ItemTable(name=CHUNKS, id_field="chunk_id"),
    compute=compute,
    describe=_describe,
    queue="sweeps",
    queue_env="SWEEP_QUEUE",
    settings=SETTINGS,
    client_limit=SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT,
    mark_running=_mark_running,
    finished=_finished,
    requeue_message=_requeue_message,
    resource="sweeps",
    noun="sweep",
    schema="web.api.sweeps:json_schema",
    telemetry={
        SWEEPS_SUBMITTED: "Sweeps accepted by POST /api/sweeps.",
        CHUNKS_SUBMITTED: "Sweep chunks enqueued by POST /api/sweeps.",
        SWEEP_CACHE: "Sweep submissions by the result cache's answer: outcome=hit (copied from "
        "an identical finished sweep, no Job), miss (chunks queued), off (the request said "
        "cache: false).",
        "backtest_sweep_chunks_finished_total": "Sweep chunks a consumer Job finished, by status.",
        "backtest_sweep_chunk_duration_seconds": "A sweep chunk's time in the queue "
        "(phase=queue) and its execution (phase=execution).",
    },
)
"""The sweep-chunk kind."""
