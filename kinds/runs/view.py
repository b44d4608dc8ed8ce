"""A run as the API and the pages show it, from its row (no I/O, no Flask): its labels, its
history summary, its status document and the name it goes by next to others.

Timestamps are ISO-8601 UTC with an explicit ``+00:00`` (``store.columns.iso_utc``). The
stored ``result_json`` of a run can be megabytes: ``run_status_json`` splices its text into
the response as it is, instead of decoding and re-encoding it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol

from adapters.metrics import run_warnings
from kinds.runs.store import list_runs
from store.columns import iso_utc, json_or_none
from store.models import BacktestRun
from work.status import RunStatus


class Cached(Protocol):
    """A row the result cache may have copied (a run or a sweep): its source's id, or None."""

    cached_from: str | None


def run_labels(row: BacktestRun) -> dict[str, Any]:
    """A run's labels, pin and sharing, as the API shows them (older rows: no labels, not
    pinned, not shared)."""
    return {
        "name": row.name,
        "tags": json_or_none(row.tags) or [],
        "notes": row.notes,
        "pinned": bool(row.pinned),
        "shared": bool(row.shared),
    }


def run_setup(request: dict[str, Any] | None) -> dict[str, Any]:
    """What a history row shows of a run's request: its window, sizing and direction."""
    request = request or {}
    return {
        "start_date": request.get("start_date"),
        "end_date": request.get("end_date"),
        "position_size": request.get("position_size"),
        "size_type": request.get("size_type"),
        "direction": request.get("direction"),
    }


def _run_identity(row: BacktestRun) -> dict[str, Any]:
    """Which run: the first keys of a run summary and a run status."""
    return {
        "run_id": row.run_id,
        "status": row.status,
        "ticker": row.ticker,
        "rule_type": row.rule_type,
        "rule_id": row.rule_id,
    }


def _run_progress(row: BacktestRun) -> dict[str, Any]:
    """How far a run got: its attempts, times and error (summary and status alike)."""
    return {
        "attempts": row.attempts,
        "created_at": iso_utc(row.created_at),
        "started_at": iso_utc(row.started_at),
        "completed_at": iso_utc(row.completed_at),
        "error_message": row.error_message,
    }


def run_cache(row: BacktestRun, source_readable: bool = True) -> dict[str, Any]:
    """Whether the run was served from the result cache (``cached``) and from which run
    (``cached_from``: null when a Job computed it, or when the viewer may not read the
    source, whose id is then not shown)."""
    cached = row.cached_from is not None
    return {"cached": cached, "cached_from": row.cached_from if source_readable else None}


def run_summary(row: BacktestRun, source_readable: bool = True) -> dict[str, Any]:
    """One run in a history page (its request's window and sizing, no result), with
    ``cached``/``cached_from`` as ``run_cache``."""
    return {
        **_run_identity(row),
        "params": json_or_none(row.params_json),
        "metrics": json_or_none(row.metrics_json),
        **_run_progress(row),
        "created_by": row.created_by,
        **run_setup(json_or_none(row.request_json)),
        **run_labels(row),
        **run_cache(row, source_readable),
    }


def cache_sources(rows: Iterable[Cached]) -> set[str]:
    """The runs (or sweeps) ``rows`` were served from by the result cache (``cached_from``)."""
    return {row.cached_from for row in rows if row.cached_from is not None}


def source_shown(row: Cached, readable: Collection[str]) -> bool:
    """Whether ``row``'s ``cached_from`` may be named to a viewer who may read the runs (or
    sweeps) ``readable`` (always, for a run a Job computed or a sweep whose chunks ran)."""
    return row.cached_from is None or row.cached_from in readable


def run_summaries(rows: Sequence[BacktestRun], readable: Collection[str]) -> list[dict[str, Any]]:
    """``run_summary`` of each row, naming ``cached_from`` only when it is in ``readable``
    (the viewer's readable ``cache_sources(rows)``)."""
    return [run_summary(row, source_shown(row, readable)) for row in rows]


def run_status(
    row: BacktestRun, result_url: str | None = None, *, source_readable: bool = True
) -> dict[str, Any]:
    """Everything about a run except its result (``run_status_json`` adds that); ``result_url``
    is where the result can be fetched on its own (null until the run SUCCEEDED);
    ``warnings`` are ``adapters.metrics.run_warnings`` of its metrics (``few_trades``);
    ``cached``/``cached_from`` as ``run_cache`` (``source_readable``: whether the viewer
    may read the run it was served from)."""
    metrics = json_or_none(row.metrics_json)
    return {
        **_run_identity(row),
        **_run_progress(row),
        "data_hash": row.data_hash,
        "engine_version": row.engine_version,
        "image_tag": row.image_tag,
        "request": json_or_none(row.request_json),
        "metrics": metrics,
        "created_by": row.created_by,
        **run_labels(row),
        "result_url": result_url,
        "warnings": run_warnings(metrics),
        **run_cache(row, source_readable),
    }


def run_status_json(
    row: BacktestRun,
    result_url: str | None = None,
    *,
    with_result: bool = True,
    source_readable: bool = True,
) -> str:
    """The /status document: ``run_status(row, result_url)`` plus ``"result"`` as the last
    key, whose value is the stored result JSON text verbatim when the run SUCCEEDED, else
    null. ``with_result=False`` is the status-only form: no ``result`` key, and
    ``row.result_json`` is never read (the row may be loaded without it)."""
    status = run_status(row, result_url, source_readable=source_readable)
    head = json.dumps(status, separators=(",", ":"), allow_nan=False)
    if not with_result:
        return head
    result = row.result_json if row.status == RunStatus.SUCCEEDED and row.result_json else "null"
    return f'{head[:-1]},"result":{result}}}'


def run_label(row: BacktestRun) -> str:
    """How a run is named next to others (compare table, chart legend)."""
    return f"{row.ticker} {row.rule_id} · {row.run_id[:8]}"


LISTING = (BacktestRun, list_runs, run_summaries, cache_sources)
"""How runs are listed for a viewer (``web.ownership.viewer_page``'s model, reader,
summariser and cache sources): ``GET /api/runs`` and the dashboard's run list."""
