"""Parameter sweeps' pages: ``GET /sweeps`` (recent sweeps and the form that starts one) and
``GET /sweeps/<id>`` (live progress, top combos, heatmap and line views), extending the
dashboard's base. Their scripts (``static/sweeps.js``) read the JSON API
(``web.api.sweeps``) at the URLs the page data names.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from kinds.runs.contract import RequestError
from kinds.runs.python_request import describe as describe_python
from kinds.runs.view import cache_sources, source_shown
from kinds.sweeps.caps import RequestCaps
from kinds.sweeps.contract import SWEEP_ID, default_chunk_size
from kinds.sweeps.fields import CHUNK_SIZE_MAX, CHUNK_SIZE_MIN
from kinds.sweeps.search_sweep import is_search_request, searchable_kind
from kinds.sweeps.store import get_sweep, sweep_states
from kinds.sweeps.summary import sweep_summary
from kinds.sweeps.view import AGGREGATES, dimensions
from kinds.walkforward.store import folds_by_sweep, listed_sweeps
from metrics import metrics_json, sweep_metrics
from rules import describe_rules
from store.models import Sweep
from web.db import get_session
from web.errors import ApiError
from web.ownership import ItemLookup, readable_keys, visible
from web.pages.form_fields import LAUNCH_FIELDS
from web.pages.layout import NavLink, item_page, nav, register_unavailable, tickers
from web.query import flag

bp = Blueprint("sweep_pages", __name__)
NAV = NavLink("Sweeps", "sweep_pages.sweeps_page", ("sweep_pages.sweep_page",))
"""This page's entry in the navigation bar (``web.pages.layout.nav_links``)."""
register_unavailable(bp)
SWEEPS = ItemLookup(Sweep, get_sweep, SWEEP_ID, "sweep")
"""A sweep by the id in its page's URL."""


@bp.get("/sweeps")
def sweeps_page() -> ResponseReturnValue:
    """Recent sweeps and the form that starts one; the sweeps that train a walk-forward
    fold only with ``?folds=true``."""
    try:
        folds_shown = flag("folds", default=False)
    except ApiError:  # a value that is no yes/no: the default list
        folds_shown = False
    rows, total = listed_sweeps(
        get_session(), per_page=50, visible=visible(Sweep), folds=folds_shown
    )
    states = sweep_states(get_session(), rows)
    folds = folds_by_sweep(get_session(), [row.sweep_id for row in rows])
    readable = readable_keys(get_session(), Sweep, cache_sources(rows))
    page_data = {
        "rules": [*describe_rules(), describe_python()],
        "trading_fields": [f.to_dict() for f in LAUNCH_FIELDS],
        "submit_url": url_for("sweeps.submit"),
        "schema_url": url_for("schema.sweep"),
        "list_url": url_for("sweeps.list_all"),
        "sweep_url": url_for("sweep_pages.sweep_page", sweep_id="SWEEP_ID"),
        "chunk_size": default_chunk_size(current_app.config["SWEEP_CHUNK_SIZE"]),
        "chunk_min": CHUNK_SIZE_MIN,
        "chunk_max": CHUNK_SIZE_MAX,
        "max_combos": RequestCaps.from_config(current_app.config, compact=True).most_combinations,
    }
    return render_template(
        "sweeps/list.html",
        sweeps=[
            sweep_summary(
                row,
                states[row.sweep_id],
                folds.get(row.sweep_id),
                status_url=url_for("sweeps.status", sweep_id=row.sweep_id),
                page_url=url_for("sweep_pages.sweep_page", sweep_id=row.sweep_id),
                source_readable=source_shown(row, readable),
            )
            for row in rows
        ],
        total=total,
        folds_shown=folds_shown,
        tickers=tickers(),
        page_data=page_data,
        **nav(),
    )


def _shown(stored: dict) -> dict:
    """What the sweep page's header and its "run this combo" show of a stored request: a
    run sweep's rule, tickers and dates, whose combos run as runs; a sweep over another
    kind's base (``_shown_search``)."""
    if is_search_request(stored):
        return _shown_search(stored)
    return {
        "what": "Rule",
        "rule": stored["rule_type"],
        "tickers": stored["tickers"],
        "start_date": stored["start_date"],
        "end_date": stored["end_date"],
        "submit_url": url_for("runs.submit"),
        "run_url": url_for("dashboard.run_page", run_id="RUN_ID"),
        "id_field": "run_id",
    }


def _shown_search(stored: dict) -> dict:
    """A sweep over another kind's base: the kind's noun, its base in a few words
    (``Search.describe_base``) and the base's tickers and dates where it has them; its
    points run as items of the kind (their request without its id field), shown on the
    kind's page of one item (``/<resource>/<id>``, a portfolio's) or else its status."""
    base = stored["base"]
    shown = {
        "what": str(stored["kind"]).capitalize(),
        "rule": stored["kind"],
        "tickers": base.get("tickers") or [],
        "start_date": base.get("start_date"),
        "end_date": base.get("end_date"),
        "submit_url": None,
        "run_url": None,
        "id_field": None,
    }
    try:
        kind, search = searchable_kind(stored["kind"])
    except RequestError:  # a kind no longer registered: its points cannot be run
        return shown
    try:
        page = current_app.url_map.bind("localhost").match(f"/{kind.resource}/RUN_ID")
        run_url = url_for(page[0], **page[1])
    except HTTPException:
        run_url = url_for(f"{kind.resource}.status", **{kind.id_field: "RUN_ID"})
    return shown | {
        "rule": search.describe_base(base),
        "submit_url": url_for(f"{kind.resource}.submit"),
        "run_url": run_url,
        "id_field": kind.id_field,
    }


@bp.get("/sweeps/<sweep_id>")
@item_page(SWEEPS)
def sweep_page(row: Sweep) -> ResponseReturnValue:
    """One sweep: live progress, the top combos, heatmap and line views."""
    stored = json.loads(row.request_json)
    shown = _shown(stored)
    page_data = {
        "sweep_id": row.sweep_id,
        "status_url": url_for("sweeps.status", sweep_id=row.sweep_id),
        "results_url": url_for("sweeps.results", sweep_id=row.sweep_id),
        "heatmap_url": url_for("sweeps.heatmap", sweep_id=row.sweep_id),
        "line_url": url_for("sweeps.line", sweep_id=row.sweep_id),
        "combo_url": url_for("sweeps.combo", sweep_id=row.sweep_id, combo_no=0)[:-1],
        "submit_url": shown["submit_url"],
        "run_url": shown["run_url"],
        "id_field": shown["id_field"],
        "dimensions": dimensions(stored),
        "metrics": [
            {**m, "lower_is_better": m["better"] < 0} for m in metrics_json(sweep_metrics())
        ],
        "aggregates": list(AGGREGATES),
    }
    return render_template(
        "sweeps/sweep.html",
        sweep=row,
        stored=stored,
        shown=shown,
        request_text=json.dumps(stored, indent=1)[:20000],
        csv_url=url_for("sweeps.results_csv", sweep_id=row.sweep_id),
        page_data=page_data,
        **nav(),
    )
