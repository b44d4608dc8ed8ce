"""A sweep as the API lists it and the sweeps page shows it, from its row and its derived
state (no I/O, no Flask): status, progress, chunk states, its URLs (given by the caller) and
the walk-forward fold it trains."""

from __future__ import annotations

from typing import Any

from kinds.sweeps.store import SweepState
from store.columns import iso_utc
from store.models import Sweep


def sweep_summary(
    row: Sweep,
    state: SweepState,
    fold: tuple[str, int] | None = None,
    *,
    status_url: str,
    page_url: str,
    source_readable: bool = True,
) -> dict[str, Any]:
    """A sweep as the API lists it: its derived status and progress, and its URLs (its
    status document's and its page's); ``walkforward`` names the walk-forward fold it trains
    (``fold``: its walkforward_id and fold number; ``kinds.walkforward.store.folds_by_sweep``),
    else None. ``cached_from`` names the sweep the result cache copied it from only while
    the viewer may read that sweep (``source_readable``), as a run's does
    (``kinds.runs.view.run_cache``)."""
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
        "status_url": status_url,
        "page_url": page_url,
        "created_by": row.created_by,
        "shared": bool(row.shared),
        "cached_from": row.cached_from if source_readable else None,
        "walkforward": None
        if fold is None
        else {"walkforward_id": fold[0], "fold": fold[1], "url": f"/walkforward/{fold[0]}"},
    }
