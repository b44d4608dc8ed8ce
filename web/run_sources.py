"""Which run a cached run was served from, as the viewer may see it (docs/security.md): the
result cache's ``cached_from`` is named only where the viewer may read that run
(``web.ownership``), in run summaries (history, lookup, the runs page) and run pages alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinds.runs.view import run_summary
from store.models import BacktestRun
from web.ownership import viewer, visible


def readable_sources(session: Session, rows: Sequence[BacktestRun]) -> set[str | None]:
    """The ``cached_from`` values of ``rows`` the viewer may read, and None (a run a Job
    computed): one SELECT when the viewer is restricted and a row was served from the
    cache, none otherwise. A source that is not readable (or gone, for a restricted viewer)
    is never named to the viewer (docs/security.md)."""
    sources = {row.cached_from for row in rows if row.cached_from is not None}
    if sources and viewer().restricted:
        statement = select(BacktestRun.run_id).where(
            BacktestRun.run_id.in_(sources), visible(BacktestRun)
        )
        sources = set(session.scalars(statement))
    return {None, *sources}


def run_summaries(session: Session, rows: Sequence[BacktestRun]) -> list[dict[str, Any]]:
    """``run_summary`` of each row for the viewer (``readable_sources``)."""
    readable_ids = readable_sources(session, rows)
    return [run_summary(row, row.cached_from in readable_ids) for row in rows]
