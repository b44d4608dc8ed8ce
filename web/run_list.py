"""One page of the runs the viewer may see, as the run history lists them: what
``GET /api/runs`` answers and the dashboard's runs page shows."""

from __future__ import annotations

from typing import Any

from kinds.runs.store import RunFilter, RunSort, list_runs
from kinds.runs.view import cache_sources, run_summaries
from store.models import BacktestRun
from web.db import get_session
from web.ownership import readable_keys, visible


def viewer_runs(
    filters: RunFilter, sort: RunSort, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """Page ``page`` of ``per_page`` runs the viewer may see (``web.ownership``) matching
    ``filters`` in ``sort`` order, as summaries (a cache source named only where the viewer
    may read it), and how many match."""
    session = get_session()
    rows, total = list_runs(
        session, filters, page=page, per_page=per_page, sort=sort, visible=visible(BacktestRun)
    )
    return run_summaries(rows, readable_keys(session, BacktestRun, cache_sources(rows))), total
