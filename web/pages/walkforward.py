"""Walk-forward pages: ``GET /walkforward`` (recent walk-forwards and the form that starts
one) and ``GET /walkforward/<id>`` (progress, fold timeline, stitched out-of-sample equity
against buy & hold and the in-sample curves, fold table, parameter stability), extending the
dashboard's base. Their script (``static/walkforward.js``, with the sweep form's inputs from
``static/sweeps.js``) reads the JSON API at the URLs the page data names
(docs/walkforward.md has the contract).
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue

from metrics import SWEEP_METRICS, metrics_json
from rules import describe_rules
from web.pages.form_fields import TRADING_FIELDS
from web.pages.layout import error_page, nav, register_unavailable, tickers
from web.present import SWEEP_ID

bp = Blueprint("walkforward_pages", __name__)
register_unavailable(bp)

API_URL = "/api/walkforward"
"""The walk-forward JSON API (POST to start one, GET to list; ``/<id>`` for one)."""

WINDOW_DEFAULTS = {"train_bars": 250, "test_bars": 63, "min_trades": 1, "metric": "sharpe_ratio"}
"""What the form's window fields start with: about a year of daily bars to train on and a
quarter to test on (the API's own defaults are step_bars = test_bars, rolling windows)."""

WINDOW_MINIMUMS = {"train_bars": 20, "test_bars": 1, "step_bars": 1, "min_trades": 0}
"""The window fields' lower bounds, as the API checks them (a hint for the inputs)."""


def _metrics() -> list[dict]:
    return metrics_json(SWEEP_METRICS)


@bp.get("/walkforward")
def walkforward_list_page() -> ResponseReturnValue:
    """Recent walk-forwards and the form that starts one."""
    page_data = {
        "rules": describe_rules(),
        "trading_fields": [f.to_dict() for f in TRADING_FIELDS],
        "submit_url": API_URL,
        "list_url": API_URL,
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
def walkforward_page(walkforward_id: str) -> ResponseReturnValue:
    """One walk-forward: progress, fold timeline, equity, fold table, parameter stability."""
    if not SWEEP_ID.match(walkforward_id):
        return error_page(
            404,
            "walk-forward not found",
            f"There is no walk-forward with id {walkforward_id[:80]}.",
        )
    page_data = {
        "walkforward_id": walkforward_id,
        "status_url": f"{API_URL}/{walkforward_id}",
        "sweep_url": url_for("sweep_pages.sweep_page", sweep_id="SWEEP_ID"),
        "metrics": _metrics(),
    }
    return render_template(
        "walkforward/detail.html",
        walkforward_id=walkforward_id,
        page_data=page_data,
        **nav(),
    )
