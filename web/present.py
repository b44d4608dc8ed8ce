"""How store rows look in the API and the pages: run summaries, the full run status, a
run's label, sweep summaries, presets.

Timestamps are ISO-8601 UTC with an explicit ``+00:00`` (the columns hold naive UTC).
The stored ``result_json`` of a run can be megabytes: ``run_status_json`` splices its text
into the response as it is, instead of decoding and re-encoding it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import url_for

from data import DataQualityError, date_range, load_catalog
from kinds.sweeps.store import SweepState
from store.models import BacktestRun, StrategyPreset, Sweep
from work.status import RunStatus


def iso_utc(value: datetime | None) -> str | None:
    """A naive UTC datetime as ISO-8601 with ``+00:00``; None stays None.

    >>> iso_utc(datetime(2024, 1, 2, 3, 4, 5))
    '2024-01-02T03:04:05+00:00'
    """
    return None if value is None else value.replace(tzinfo=UTC).isoformat()


def json_or_none(text: str | None) -> Any:
    """A stored JSON column decoded; None (SQL NULL) stays None."""
    return None if text is None else json.loads(text)


def run_labels(row: BacktestRun) -> dict[str, Any]:
    """A run's labels and pin, as the API shows them (older rows: no labels, not pinned)."""
    return {
        "name": row.name,
        "tags": json_or_none(row.tags) or [],
        "notes": row.notes,
        "pinned": bool(row.pinned),
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


def run_summary(row: BacktestRun) -> dict[str, Any]:
    """One run in a history page (its request's window and sizing, no result)."""
    return {
        **_run_identity(row),
        "params": json_or_none(row.params_json),
        "metrics": json_or_none(row.metrics_json),
        **_run_progress(row),
        "created_by": row.created_by,
        **run_setup(json_or_none(row.request_json)),
        **run_labels(row),
    }


def run_status(row: BacktestRun, result_url: str | None = None) -> dict[str, Any]:
    """Everything about a run except its result (``run_status_json`` adds that); ``result_url``
    is where the result can be fetched on its own (null until the run SUCCEEDED)."""
    return {
        **_run_identity(row),
        **_run_progress(row),
        "data_hash": row.data_hash,
        "engine_version": row.engine_version,
        "image_tag": row.image_tag,
        "request": json_or_none(row.request_json),
        "metrics": json_or_none(row.metrics_json),
        "created_by": row.created_by,
        **run_labels(row),
        "result_url": result_url,
    }


def run_status_json(
    row: BacktestRun, result_url: str | None = None, *, with_result: bool = True
) -> str:
    """The /status document: ``run_status(row, result_url)`` plus ``"result"`` as the last
    key, whose value is the stored result JSON text verbatim when the run SUCCEEDED, else
    null. ``with_result=False`` is the status-only form: no ``result`` key, and
    ``row.result_json`` is never read (the row may be loaded without it)."""
    head = json.dumps(run_status(row, result_url), separators=(",", ":"), allow_nan=False)
    if not with_result:
        return head
    result = row.result_json if row.status == RunStatus.SUCCEEDED and row.result_json else "null"
    return f'{head[:-1]},"result":{result}}}'


def preset(row: StrategyPreset) -> dict[str, Any]:
    """One strategy preset."""
    return {
        "id": row.id,
        "name": row.name,
        "payload": json.loads(row.payload_json),
        "created_at": iso_utc(row.created_at),
        "created_by": row.created_by,
    }


def run_label(row: BacktestRun) -> str:
    """How a run is named next to others (compare table, chart legend)."""
    return f"{row.ticker} {row.rule_id} · {row.run_id[:8]}"


SWEEP_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
"""What a sweep id looks like (a UUID4); anything else is no sweep."""


def sweep_summary(
    row: Sweep, state: SweepState, fold: tuple[str, int] | None = None
) -> dict[str, Any]:
    """A sweep as the API lists it: its derived status and progress, and its URLs;
    ``walkforward`` names the walk-forward fold it trains (``fold``: its walkforward_id and
    fold number; ``kinds.walkforward.store.folds_by_sweep``), else None."""
    percent = 100.0 * state.done / state.total if state.total else 0.0
    return {
        "sweep_id": row.sweep_id,
        "status": state.status,
        "rule_type": row.rule_type,
        "tickers": row.tickers.split(","),
        "combos": row.combos,
        "skipped": row.skipped,
        "chunks": row.chunks,
        "chunk_size": row.chunk_size,
        "progress": {
            "done": state.done,
            "failed": state.failed,
            "total": state.total,
            "percent": round(percent, 1),
        },
        "chunk_states": state.chunks,
        "created_at": iso_utc(row.created_at),
        "started_at": iso_utc(state.started_at),
        "completed_at": iso_utc(state.completed_at),
        "status_url": url_for("sweeps.status", sweep_id=row.sweep_id),
        "page_url": url_for("sweep_pages.sweep_page", sweep_id=row.sweep_id),
        "created_by": row.created_by,
        "walkforward": None
        if fold is None
        else {"walkforward_id": fold[0], "fold": fold[1], "url": f"/walkforward/{fold[0]}"},
    }


def catalog_tickers(data_dir) -> list[dict[str, Any]]:
    """The data catalog's tickers as ``/api/tickers`` and the forms list them: name, whether
    synthetic, and the dates of the first and last bar (``first_date``/``last_date``, null
    when the file cannot be read: a run on it is then refused naming the file's problem),
    the ``timeframe`` a request on it must name, its ``market`` and ``bars_per_year``."""
    entries = []
    for info in load_catalog(data_dir).tickers():
        try:
            first, last = date_range(info.ticker, data_dir)
        except (DataQualityError, OSError):
            first = last = None
        entries.append(
            {
                "ticker": info.ticker,
                "name": info.name,
                "synthetic": info.synthetic,
                "description": info.description,
                "first_date": first,
                "last_date": last,
                "timeframe": info.timeframe,
                "market": info.market,
                "bars_per_year": info.annual_bars,
            }
        )
    return entries
