"""Submitting and reading a sweep, without HTTP: what ``web.api.sweeps`` (the blueprint) calls.

Submission order is validate (the request's combinations and chunks held to its caps,
``kinds.sweeps.caps``) → room on the sweep queue (``QueueFull`` when the chunks
waiting there plus this sweep's would pass SWEEP_MAX_PENDING_CHUNKS) → INSERT the sweep and
its chunks PENDING (one transaction) → enqueue one message per chunk; if Redis fails, the
chunks not enqueued yet are FAILED ``QUEUE_UNAVAILABLE`` (their own transaction) and
``QueueUnavailable`` is raised.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinds.runs.contract import RequestError
from kinds.runs.execute import load_market_data
from kinds.sweeps.caps import RequestCaps
from kinds.sweeps.compact import pbo_stride
from kinds.sweeps.contract import (
    SweepRequest,
    chunk_payloads,
    parse_sweep_request,
    sized_chunk_size,
    sized_python_chunk_size,
)
from kinds.sweeps.kind import CHUNK
from kinds.sweeps.search_sweep import SearchSweep, search_chunk_payloads
from kinds.sweeps.store import fail_pending_chunks, insert_sweep, iter_results
from kinds.sweeps.view import Batch, rows_batches
from metrics import SWEEP_METRIC_KEYS, sweep_metric_keys
from store.models import Sweep, SweepChunk, SweepResult
from work.status import RunStatus
from work.submit import QUEUE_UNAVAILABLE, QueueUnavailable, Submission, submit

__all__ = ["QUEUE_UNAVAILABLE", "QueueUnavailable"]  # re-exported: the sweep API's errors

DEFAULT_CAPS = RequestCaps()
"""The caps of a request validated without the web's settings: the variables' defaults."""


class QueueFull(Exception):
    """The sweep queue has no room for this sweep's chunks (nothing was recorded)."""

    def __init__(self, waiting: int, needed: int, limit: int) -> None:
        super().__init__(
            f"the sweep queue holds {waiting:,} chunks; this sweep's {needed:,} would pass "
            f"its limit of {limit:,} (SWEEP_MAX_PENDING_CHUNKS)"
        )
        self.waiting = waiting
        self.needed = needed
        self.limit = limit

    @property
    def never_fits(self) -> bool:
        """Whether the sweep alone needs more chunks than the queue may hold."""
        return self.needed > self.limit


def check_room(queue: Queue, needed: int, limit: int) -> None:
    """Refuse ``needed`` more chunks when ``queue``'s list would then hold more than
    ``limit`` (one LLEN; two sweeps submitted at the same moment may both pass). With Redis
    away there is nothing to check: the enqueue meets the outage and fails the chunks.

    :raise QueueFull: no room.
    """
    try:
        waiting = queue.count
    except RedisError:
        return
    if waiting + needed > limit:
        raise QueueFull(waiting, needed, limit)


def check_sweep_data(
    payload: dict,
    data_dir: Path | str | None,
    *,
    chunk_size: int | None = None,
    bar_limit: int | None = None,
    caps: RequestCaps = DEFAULT_CAPS,
) -> tuple[SweepRequest, int]:
    """The sweep request (its combinations held to ``caps``), with every ticker's data
    checked like a run's, and the most bars a combination's signals are computed on (what
    sizing its chunks reads); its chunks are neither sized nor counted (``validate_sweep``).

    A ticker of a list whose data has no bar between the dates refuses the whole sweep
    naming it (``tickers[1]``, with the dates its data covers), so every ticker's results
    cover the same window; when no ticker has a bar there, the dates are at fault
    (``start_date``, as for a run).

    :raise RequestError: naming the field (``tickers[1]`` for a ticker of a list).
    """
    sweep = parse_sweep_request(payload, chunk_size, caps)
    bars = 0
    outside: list[tuple[int, RequestError]] = []
    for index, ticker in enumerate(sweep.tickers):
        try:
            market = load_market_data(replace(sweep.base, ticker=ticker), data_dir, bar_limit)
        except RequestError as exc:
            if exc.field == "start_date" and "tickers" in payload:
                outside.append((index, exc))
                continue
            if exc.field == "ticker" and "tickers" in payload:
                raise RequestError(f"tickers[{index}]", exc.message) from None
            raise
        bars = max(bars, market.stop)  # signals see every bar up to the window's end
    if outside:
        index, exc = outside[0]
        if len(outside) == len(sweep.tickers):
            raise exc
        raise RequestError(
            f"tickers[{index}]",
            f"{exc.message}: leave {sweep.tickers[index]} out or choose dates its data covers",
        )
    return sweep, bars


def validate_sweep(
    payload: dict,
    data_dir: Path | str | None,
    *,
    chunk_size: int | None = None,
    bar_limit: int | None = None,
    caps: RequestCaps = DEFAULT_CAPS,
) -> SweepRequest:
    """The sweep request, with every ticker's data checked like a run's (``chunk_size``:
    the default chunk size; ``bar_limit``: the most bars a run may cover; ``caps``: the
    request's caps — the web passes its settings). A request that names no chunk size gets
    one sized to the sweep and its data (``sized_chunk_size``).

    :raise RequestError: naming the field (``tickers[1]`` for a ticker of a list); past a
        cap, the field that drives it (``kinds.sweeps.caps``).
    """
    sweep, bars = check_sweep_data(
        payload, data_dir, chunk_size=chunk_size, bar_limit=bar_limit, caps=caps
    )
    if payload.get("chunk_size") is None and sweep.rule_type == "PYTHON":
        sweep = replace(sweep, chunk_size=sized_python_chunk_size(len(sweep.grid.combos), bars))
    elif payload.get("chunk_size") is None:
        sized = sized_chunk_size(chunk_size, sweep.combos, bars)
        sweep = replace(sweep, chunk_size=sized)
    caps.check_chunks(sweep.chunk_count)
    if caps.compact is not None and caps.compact.applies(sweep.combos):
        stride = pbo_stride(sweep.combos, caps.compact.pbo_combinations)
        sweep = replace(sweep, top_k=caps.compact.top_k, pbo_stride=stride)
    return sweep


def data_hashes(
    sweep: SweepRequest, data_dir: Path | str | None, bar_limit: int | None = None
) -> dict[str, str]:
    """Each ticker's data file hash (the loader's, parsed once per file version: a sweep
    just validated reads nothing again)."""
    return {
        ticker: load_market_data(replace(sweep.base, ticker=ticker), data_dir, bar_limit).data_hash
        for ticker in sweep.tickers
    }


def sweep_submission(
    sweep: SweepRequest | SearchSweep,
    *,
    image_tag: str | None,
    created_by: str | None = None,
    cache_key: str | None = None,
) -> Submission:
    """What submitting ``sweep`` records and queues (``work.submit``): the sweep and its
    chunks PENDING (``created_by``: the submitting token's name; ``cache_key``: its
    ``kinds.sweeps.cache`` key), one message per chunk; a failed enqueue fails the chunks
    still PENDING. A sweep over another kind's base (``SearchSweep``) is stored the same
    way, its chunks cut by ``search_chunk_payloads``."""
    if isinstance(sweep, SearchSweep):
        chunks = search_chunk_payloads(sweep)
    else:
        chunks = chunk_payloads(sweep)

    def insert(session: Session, queue: str) -> None:
        insert_sweep(
            session,
            sweep,
            chunks,
            image_tag=image_tag,
            queue=queue,
            created_by=created_by,
            cache_key=cache_key,
        )

    def fail(session: Session, error: str) -> int:
        return fail_pending_chunks(session, sweep.sweep_id, error)

    return Submission(insert, chunks, fail)


def submit_sweep(
    session: Session,
    queue: Queue,
    sweep: SweepRequest,
    *,
    image_tag: str | None,
    created_by: str | None = None,
    max_pending: int | None = None,
) -> list[dict]:
    """Submit ``sweep`` without HTTP (``sweep_submission`` through ``work.submit.submit``)
    on ``queue`` (the sweep queue); its chunk messages. ``max_pending``: the most chunks
    ``queue`` may hold.

    :raise QueueFull: no room on ``queue`` (nothing was recorded).
    :raise work.submit.QueueUnavailable: an enqueue failed (the chunks still PENDING are
        FAILED).
    """
    submission = sweep_submission(sweep, image_tag=image_tag, created_by=created_by)
    if max_pending is not None:
        check_room(queue, len(submission.messages), max_pending)
    submit(session, queue, CHUNK, submission)
    return list(submission.messages)


def timings(chunks: Sequence[SweepChunk]) -> dict[str, Any]:
    """Per-chunk timings summed (where the sweep's time went) and the first errors."""
    done = [c for c in chunks if c.compute_ms is not None]

    def total(name: str) -> float | None:
        values = [getattr(c, name) for c in done if getattr(c, name) is not None]
        return round(sum(values), 1) if values else None

    return {
        "chunks_timed": len(done),
        "startup_ms": total("startup_ms"),
        "compute_ms": total("compute_ms"),
        "write_ms": total("write_ms"),
        "errors": sorted({c.error_message for c in chunks if c.error_message})[:5],
    }


def result_dict(row: SweepResult) -> dict[str, Any]:
    """One stored combination as the API shows it."""
    shown = {
        "combo_no": row.combo_no,
        "ticker": row.ticker,
        "params": json.loads(row.params_json),
        "metrics": stored_metrics(row),
    }
    if row.error is not None:  # a PYTHON sweep's combination that failed alone
        shown["error"] = row.error
    return shown


def stored_metrics(row: SweepResult) -> dict[str, Any]:
    """Every metric a sweep stores (``metrics.sweep_metric_keys()``) of one stored
    combination: its columns, then ``extra_metrics`` (None for a metric it lacks: one
    registered after the sweep ran, or undefined for it)."""
    extra = json.loads(row.extra_metrics) if row.extra_metrics else {}
    return {
        name: getattr(row, name) if name in SWEEP_METRIC_KEYS else extra.get(name)
        for name in sweep_metric_keys()
    }


def finished_chunks(session: Session, sweep_id: str, *columns) -> Iterator[tuple]:
    """``columns`` of each SUCCEEDED chunk of the sweep in chunk order, one chunk read at
    a time (a large sweep's blobs and messages are never held at once)."""
    numbers = session.scalars(
        select(SweepChunk.chunk_no)
        .where(SweepChunk.sweep_id == sweep_id, SweepChunk.status == RunStatus.SUCCEEDED)
        .order_by(SweepChunk.chunk_no)
    ).all()
    for chunk_no in numbers:
        yield session.execute(
            select(*columns).where(SweepChunk.sweep_id == sweep_id, SweepChunk.chunk_no == chunk_no)
        ).one()


def sharpe_batches(session: Session, sweep: Sweep) -> Iterator[Batch]:
    """Every combination of the sweep's finished chunks, in combo order, a chunk at a time
    in column form (``kinds.sweeps.view.Batch``): its Sharpe ratios and grid positions
    straight from the chunk's ``sharpe_grid`` blob, the chunk's ticker. What a compactly
    stored sweep's heatmap and line read (``kinds.sweeps.view.aggregate_batches``)."""
    names = list(json.loads(sweep.request_json)["grid"])
    chunks = finished_chunks(
        session, sweep.sweep_id, SweepChunk.ticker, SweepChunk.combo_first, SweepChunk.sharpe_grid
    )
    for ticker, first, blob in chunks:
        if blob is not None:
            yield sharpe_batch(names, ticker, first, bytes(blob))


def sharpe_batch(names: list[str], ticker: str, combo_first: int, blob: bytes) -> Batch:
    """One chunk's combinations in column form from its ``sharpe_grid`` blob (the Sharpe
    ratios and the positions of the grid's parameters ``names`` as stored, no copy): the
    chunk's ``ticker`` its ``ticker`` dimension."""
    from kinds.sweeps.evaluate import unpack_sharpe_grid

    sharpe, positions = unpack_sharpe_grid(blob)
    places = {name: positions[:, j] for j, name in enumerate(names) if name != "ticker"}
    combo_no = np.arange(combo_first, combo_first + sharpe.size, dtype=np.int64)
    return Batch(combo_no, sharpe, places, {"ticker": ticker})


def metric_batches(
    session: Session, sweep: Sweep, metric: str, dims: dict[str, list]
) -> Iterator[Batch]:
    """Every combination's value of ``metric``, in combo order, in column form: what
    ``kinds.sweeps.view.aggregate_batches`` reads over the sweep's dimensions ``dims``
    (``kinds.sweeps.view.dimensions``); a compactly stored sweep's Sharpe ratios from its
    chunks' blobs (``sharpe_batches``), a sweep stored row by row's from its rows.

    :raise RequestError: naming ``metric`` for another metric of a compactly stored sweep,
        which keeps only its best combinations' values.
    """
    if sweep.top_k is not None:
        if metric != COMPACT_VIEW_METRIC:
            raise RequestError(
                "metric",
                f"this sweep of {sweep.combos:,} combinations keeps every combination's "
                f"{COMPACT_VIEW_METRIC} only: view {COMPACT_VIEW_METRIC}, or read the best of "
                "the others in its results",
            )
        yield from sharpe_batches(session, sweep)
        return
    rows = iter_results(session, sweep.sweep_id, ("combo_no", "ticker", "params_json", metric))
    yield from rows_batches(dims, ((n, t, json.loads(p), v) for n, t, p, v in rows))


COMPACT_VIEW_METRIC = "sharpe_ratio"
"""The one metric a compactly stored sweep keeps for every combination (its heatmap's)."""
