"""Portfolio pages (issue 26): ``GET /portfolios`` (the form that starts a portfolio
backtest over a universe of tickers, and the list of recent ones) and
``GET /portfolios/<id>`` (its status, equity and drawdown against the equal-weight
benchmark, weights over time, per-ticker contributions, turnover, orders and metrics),
extending the dashboard's base. Their scripts (``static/dashboard/portfolio_form.js``,
``static/dashboard/portfolio.js``) read and write the JSON API (``POST /api/portfolios``,
``GET /api/portfolios[/<id>]``, docs/portfolios.md); a portfolio that does not exist or
that the viewer may not read (``web.ownership``) is the 404 page, as the API's 404 (docs/
dashboard.md, "Portfolios"). Registered by the portfolio kind's ``WorkKind.blueprints``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from flask import Blueprint, current_app, render_template, url_for
from flask.typing import ResponseReturnValue

from data import load_catalog
from kinds.portfolios.describe import summary
from kinds.portfolios.search import suggested_grid, suggested_space
from kinds.portfolios.store import get_portfolio
from kinds.runs.fields import RUN_ID_PATTERN
from kinds.studies.fields import DEFAULT_OBJECTIVES
from kinds.studies.request_model import StudyBody
from kinds.walkforward.contract import DEFAULT_METRIC, DEFAULT_MIN_TRADES, TRAIN_BARS_MIN
from kinds.walkforward.plan import first_windows
from metrics import PORTFOLIO_PAGE_METRICS, metrics_json, sweep_metrics
from rules import describe_rules
from store.models import Portfolio
from web.ownership import ItemLookup
from web.pages.layout import (
    NavLink,
    item_page,
    nav,
    preset_viewer,
    register_unavailable,
    tickers,
)

bp = Blueprint("portfolio_pages", __name__)
NAV = NavLink("Portfolios", "portfolio_pages.portfolios_page", ("portfolio_pages.portfolio_page",))
"""This page's entry in the navigation bar (``web.pages.layout.nav_links``)."""
register_unavailable(bp)

_ID = re.compile(RUN_ID_PATTERN)
"""A portfolio id: a lower-case UUID4, as a run's."""
PORTFOLIOS = ItemLookup(Portfolio, get_portfolio, _ID, "portfolio")
"""A portfolio by the id in its page's URL."""

FORM_DEFAULTS = {
    "start_date": "2015-01-02",
    "end_date": "2024-12-31",
    "initial_capital": 100_000,
    "fee_rate": 0.001,
    "slippage_bps": 5,
    "top_n": 5,
    "score": "close / sma(close, $lookback) - 1",
    "params": {"lookback": 126},
    "filter": "close > sma(close, 200)",
    "schedule": "monthly",
}
"""What the form starts with: a six-month momentum rotation of the top five, monthly."""

SCHEDULES = ("daily", "weekly", "monthly", "quarterly", "bars")
"""The rebalance schedules the form offers (``bars``: every N bars)."""


def _language() -> dict | None:
    """The strategy language's reference (EXPR's ``language`` in ``GET /api/rules``)."""
    for rule in describe_rules():
        if rule.get("language"):
            return rule["language"]
    return None


def _memberships() -> list[str]:
    """The index tickers whose catalog entry names a membership file: what the form's
    point-in-time select offers (docs/portfolios.md, "Delistings and point-in-time
    universes")."""
    catalog = load_catalog(current_app.config["DATA_DIR"], skip_invalid=True)
    return [info.ticker for info in catalog.tickers() if info.members is not None]


@bp.get("/portfolios")
def portfolios_page() -> ResponseReturnValue:
    """The portfolio form and the list of recent portfolios."""
    page_data = {
        "submit_url": url_for("portfolios.submit"),
        "list_url": url_for("portfolios.list_all"),
        "page_url": url_for("portfolio_pages.portfolio_page", portfolio_id="PORTFOLIO_ID"),
        "presets_url": url_for("presets.list_all"),
        "defaults": FORM_DEFAULTS,
        "language": _language(),
    }
    return render_template(
        "portfolios/list.html",
        tickers=tickers(),
        memberships=_memberships(),
        defaults=FORM_DEFAULTS,
        schedules=SCHEDULES,
        page_data=page_data,
        preset_viewer=preset_viewer(),
        **nav(),
    )


@bp.get("/portfolios/<portfolio_id>")
@item_page(PORTFOLIOS)
def portfolio_page(row: Portfolio) -> ResponseReturnValue:
    """One portfolio: its request in one line (construction included), status, charts,
    contributions, orders and metrics (an unknown, unreadable or malformed id is the 404
    page)."""
    page_data = {
        "portfolio_id": row.portfolio_id,
        "status_url": url_for("portfolios.status", portfolio_id=row.portfolio_id),
        "metrics": metrics_json(PORTFOLIO_PAGE_METRICS, notes=True),
    }
    request = json.loads(row.payload_json)
    decisions = DECISIONS[(request.get("allocation") or {}).get("method") == "rules"]
    page_data["decisions"] = decisions
    return render_template(
        "portfolios/detail.html",
        portfolio_id=row.portfolio_id,
        decisions=decisions,
        summary=summary(request),
        capacity=bool(request.get("capacity")),
        page_data=page_data,
        research_data=research_data(request),
        sweep_grid=json.dumps(suggested_grid(request)),
        windows=first_windows(_weekdays(request), TRAIN_BARS_MIN),
        metrics=metrics_json(sweep_metrics()),
        defaults=RESEARCH_DEFAULTS,
        **nav(),
    )


DECISIONS = {False: "rebalances", True: "closes with orders"}
"""What the page calls the closes that decided orders (``num_rebalances``, the turnover's
points): a rebalancing portfolio's rebalances; a portfolio of rules has none, its signals
decide on the closes whose entries or exits gave an order."""


RESEARCH_DEFAULTS = {
    "n_trials": StudyBody.model_fields["n_trials"].default,
    "objective": DEFAULT_OBJECTIVES[0]["metric"],
    "metric": DEFAULT_METRIC,
    "min_trades": DEFAULT_MIN_TRADES,
    "train_bars_min": TRAIN_BARS_MIN,
}
"""What the study and walk-forward cards of a portfolio's page start with: the APIs' own
defaults."""


def _weekdays(request: dict[str, Any]) -> int:
    """The weekdays of a portfolio's window: an upper estimate of its trading days (the
    walk-forward's fold plan counts the universe's own)."""
    end = np.datetime64(request["end_date"]) + np.timedelta64(1, "D")
    return int(np.busday_count(np.datetime64(request["start_date"]), end))


def research_data(request: dict[str, Any]) -> dict[str, Any]:
    """What the portfolio page's sweep, study and walk-forward cards submit and open
    (``static/dashboard/portfolio_research.js``): this portfolio's request as their base,
    the study's first space (``suggested_space``), the routes and the pages."""
    return {
        "request": request,
        "space": suggested_space(request),
        "sweep_url": url_for("sweeps.submit"),
        "sweep_page_url": url_for("sweep_pages.sweep_page", sweep_id="SWEEP_ID"),
        "study_url": url_for("studies.submit"),
        "study_page_url": url_for("study_pages.study_page", study_id="STUDY_ID"),
        "walkforward_url": url_for("walkforward.submit"),
        "walkforward_page_url": url_for(
            "walkforward_pages.walkforward_page", walkforward_id="WF_ID"
        ),
    }
