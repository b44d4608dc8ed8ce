"""Serving a sweep from the result cache (docs/execution.md "The result cache"): finding a
finished sweep with the same key (``kinds.sweeps.cache``) and copying it — the sweep row,
its chunks (SUCCEEDED, with their block statistics), every combination's result and the
chunks' CSV parts — as a new sweep, in the caller's transaction, with INSERT … SELECT: the
results never leave the database. A copy stores no key (only sweeps whose chunks ran are
sources) and names its source in ``cached_from``.
"""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, exists, func, insert, literal, select, true
from sqlalchemy.orm import Session

from kinds.sweeps.contract import SweepRequest
from store.models import Sweep, SweepChunk, SweepCsvPart, SweepMetricValue, SweepResult, utcnow
from work.status import RunStatus


def find_sweep_source(
    session: Session, key: str, visible: ColumnElement[bool] | None = None
) -> str | None:
    """The id of the oldest sweep with cache key ``key`` whose every chunk SUCCEEDED and which
    ``visible`` lets the submitter read (``web.ownership.visible``), or None: one indexed
    lookup (``ix_sweeps_cache_key``)."""
    unfinished = exists().where(
        SweepChunk.sweep_id == Sweep.sweep_id, SweepChunk.status != RunStatus.SUCCEEDED
    )
    return session.scalar(
        select(Sweep.sweep_id)
        .where(Sweep.cache_key == key, ~unfinished, true() if visible is None else visible)
        .order_by(Sweep.created_at)
        .limit(1)
    )


SWEEP_COPIED = (
    "rule_type", "tickers", "combos", "skipped", "chunks", "chunk_size", "image_tag",
    "overfitting_json", "top_k",
)  # fmt: skip
"""What a cached sweep takes from its source as it is: its shape, the image that computed
it and its overfitting statistics (NULL until first asked for: computed then from the
copied block statistics)."""


def _others(model: type, own: set[str]) -> dict:
    """Every column of ``model`` not in ``own``, as itself (copied)."""
    return {c.name: getattr(model, c.key) for c in model.__table__.columns if c.name not in own}


def insert_cached_sweep(
    session: Session, source_id: str, sweep: SweepRequest, *, created_by: str | None = None
) -> bool:
    """Add ``sweep`` as a copy of the finished sweep ``source_id`` (module docstring) in the
    caller's transaction: its own id, request, owner and times; the source's chunks with
    its id replaced by the new one in their ids and messages, SUCCEEDED now, no timings;
    every result and its metrics without a column, and every CSV part. False when the
    source is gone or no longer finished: nothing added."""
    now = utcnow()
    new_id = sweep.sweep_id
    own_sweep = {
        "sweep_id": literal(new_id),
        "request_json": literal(json.dumps(sweep.to_dict(), separators=(",", ":"))),
        "created_by": literal(created_by, Sweep.created_by.type),
        "shared": literal(False),
        "created_at": literal(now, Sweep.created_at.type),
        "cached_from": literal(source_id),
        "cache_key": literal(None, Sweep.cache_key.type),
    }
    columns = {**own_sweep, **{name: getattr(Sweep, name) for name in SWEEP_COPIED}}
    copied = session.execute(
        insert(Sweep).from_select(
            list(columns), select(*columns.values()).where(Sweep.sweep_id == source_id)
        )
    )
    if copied.rowcount != 1:
        return False
    own_chunk = {
        "chunk_id": func.replace(SweepChunk.chunk_id, source_id, new_id),
        "sweep_id": literal(new_id),
        "payload_json": func.replace(SweepChunk.payload_json, source_id, new_id),
        "status": literal(RunStatus.SUCCEEDED.value),
        "error_message": literal(None, SweepChunk.error_message.type),
        "attempts": literal(0),
        "worker": literal(None, SweepChunk.worker.type),
        "created_at": literal(now, SweepChunk.created_at.type),
        "started_at": literal(now, SweepChunk.started_at.type),
        "completed_at": literal(now, SweepChunk.completed_at.type),
        "startup_ms": literal(None, SweepChunk.startup_ms.type),
        "compute_ms": literal(None, SweepChunk.compute_ms.type),
        "write_ms": literal(None, SweepChunk.write_ms.type),
    }
    columns = {**own_chunk, **_others(SweepChunk, set(own_chunk))}
    chunks = session.execute(
        insert(SweepChunk).from_select(
            list(columns),
            select(*columns.values()).where(
                SweepChunk.sweep_id == source_id, SweepChunk.status == RunStatus.SUCCEEDED
            ),
        )
    )
    source_chunks = session.scalar(select(Sweep.chunks).where(Sweep.sweep_id == source_id))
    if chunks.rowcount != source_chunks:
        return False  # a chunk is no longer SUCCEEDED: the caller rolls back
    for model in (SweepResult, SweepMetricValue, SweepCsvPart):
        columns = {"sweep_id": literal(new_id), **_others(model, {"sweep_id"})}
        session.execute(
            insert(model).from_select(
                list(columns), select(*columns.values()).where(model.sweep_id == source_id)
            )
        )
    return True
