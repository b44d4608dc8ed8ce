"""Run history: ``GET /api/runs``, newest first, paginated and filtered.

Query parameters (an empty value means "no filter", as an HTML form sends it):
``page`` (>= 1, default 1), ``per_page`` (1..200, default 50), ``status`` (PENDING,
RUNNING, SUCCEEDED, FAILED, CANCELLED), ``ticker`` (any case), ``rule`` (a rule type, any
case), ``tag`` (one tag), ``q`` (text in the run's name), ``sort`` (a column such as
created_at or ticker, or a metric key) and ``order`` (desc or asc). An invalid value is a
400 naming the parameter. Pages never load result JSON.
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from kinds.runs.query import run_filter, run_sort
from kinds.runs.view import LISTING
from web.api.runs.blueprint import bp
from web.ownership import viewer_page
from web.query import count, paging, parsed

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200


@bp.get("")
def list_history() -> ResponseReturnValue:
    """One page of the runs the viewer may see (newest first unless sorted), with the total
    count and pages."""
    filters = parsed(run_filter)
    sort = parsed(run_sort)
    page = count("page", 1, 1, 10**9 - 1)
    per_page = count("per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    runs, total = viewer_page(*LISTING, filters=filters, sort=sort, page=page, per_page=per_page)
    return {
        "runs": runs,
        **paging(page, per_page, total),
        "sort": sort.key,
        "order": "desc" if sort.descending else "asc",
    }
