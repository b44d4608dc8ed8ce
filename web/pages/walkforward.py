"""Walk-forward pages: ``GET /walkforward`` (recent walk-forwards and the form that starts
one) and ``GET /walkforward/<id>`` (progress, fold timeline, stitched out-of-sample equity
against buy & hold and the in-sample curves, fold table, parameter stability), extending the
dashboard's base (an unknown or malformed id is the 404 page). Their script
(``static/walkforward.js``, with the sweep form's inputs from ``static/sweeps.js``) reads the
JSON API at the URLs the page data names (docs/walkforward.md has the contract).
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from kinds.sweeps.contract import SWEEP_ID
from kinds.walkforward.contract import DEFAULT_METRIC, DEFAULT_MIN_TRADES, TRAIN_BARS_MIN
from kinds.walkforward.store import get_walkforward
from metrics import SWEEP_METRICS, metrics_json, sweep_metrics
from rules import describe_rules
from store.models import WalkForward
from web.ownership import ItemLookup
from web.pages.form_fields import LAUNCH_FIELDS
from web.pages.layout import NavLink, item_page, nav, register_unavailable, tickers

bp = Blueprint("walkforward_pages", __name__)
NAV = NavLink(
    "Walk-forward",
    "walkforward_pages.walkforward_list_page",
    ("walkforward_pages.walkforward_page",),
)
"""This page's entry in the navigation bar (``web.pages.layout.nav_links``)."""
register_unavailable(bp)
WALKFORWARDS = ItemLookup(WalkForward, get_walkforward, SWEEP_ID, "walk-forward")
"""A walk-forward by the id in its page's URL."""

WINDOW_DEFAULTS = {
    "train_bars": 250,
    "test_bars": 63,
    "min_trades": DEFAULT_MIN_TRADES,
    "metric": DEFAULT_METRIC,
}
"""What the form's window fields start with: about a year of daily bars to train on and a
quarter to test on, and the API's own defaults (it steps by test_bars, rolling windows)."""

WINDOW_MINIMUMS = {"train_bars": TRAIN_BARS_MIN, "test_bars": 1, "step_bars": 1, "min_trades": 0}
"""The window fields' lower bounds, as the API checks them (a hint for the inputs)."""


def _metrics() -> list[dict]:
    """The metrics a walk-forward selects by (the form's choices)."""
    return metrics_json(SWEEP_METRICS)


@bp.get("/walkforward")
def walkforward_list_page() -> ResponseReturnValue:
    """Recent walk-forwards and the form that starts one."""
    page_data = {
        "rules": describe_rules(),
        "trading_fields": [f.to_dict() for f in LAUNCH_FIELDS],
        "submit_url": url_for("walkforward.submit"),
        "list_url": url_for("walkforward.list_all"),
        "page_url": url_for("walkforward_pages.walkforward_page", walkforward_id="WF_ID"),
        "metrics": _metrics(),
    }
    return render_template(
        "walkforward/list.html",
        tickers=tickers(),
        metrics=page_data["metrics"],
        defaults=WINDOW_DEFAULTS,
        minimums=WINDOW_MINIMUMS,
        page_data=page_data,
        **nav(),
    )


@bp.get("/walkforward/<walkforward_id>")
@item_page(WALKFORWARDS)
def walkforward_page(row: WalkForward) -> ResponseReturnValue:
    """One walk-forward: progress, fold timeline, equity, fold table, parameter stability."""
    page_data = {
        "walkforward_id": row.walkforward_id,
        "status_url": url_for("walkforward.status", walkforward_id=row.walkforward_id),
        "sweep_url": url_for("sweep_pages.sweep_page", sweep_id="SWEEP_ID"),
        "metrics": metrics_json(sweep_metrics()),  # the stitched curve has every one
    }
    return render_template(
        "walkforward/detail.html",
        walkforward_id=row.walkforward_id,
        page_data=page_data,
        **nav(),
    )
