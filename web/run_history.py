"""One page of the run history the viewer may see, listed the same way by the JSON API
(``GET /api/runs``) and the runs page (``/runs``): the page's run summaries (a run served
from the cache names its source only where the viewer may read it) and the total count."""

from __future__ import annotations

from typing import Any

from kinds.runs.store import RunFilter, RunSort, list_runs
from kinds.runs.view import cache_sources, run_summaries
from store.models import BacktestRun
from web.db import get_session
from web.ownership import readable_keys, visible


def visible_runs(
    filters: RunFilter, sort: RunSort, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """Page ``page`` (of ``per_page`` runs) of the runs ``filters`` selects in ``sort``
    order, among those the viewer may see: their summaries, and how many there are."""
    session = get_session()
    rows, total = list_runs(
        session, filters, page=page, per_page=per_page, sort=sort, visible=visible(BacktestRun)
    )
    return run_summaries(rows, readable_keys(session, BacktestRun, cache_sources(rows))), total
