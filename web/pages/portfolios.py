"""Portfolio pages (issue 26): ``GET /portfolios`` (the form that starts a portfolio
backtest over a universe of tickers, and the list of recent ones) and
``GET /portfolios/<id>`` (its status, equity and drawdown against the equal-weight
benchmark, weights over time, per-ticker contributions, turnover, orders and metrics),
extending the dashboard's base. The pages are shells: their scripts
(``static/dashboard/portfolio_form.js``, ``static/dashboard/portfolio.js``) read and write
the JSON API (``POST /api/portfolios``, ``GET /api/portfolios[/<id>]``), which applies
ownership, so a portfolio another user did not share answers the page's script with the
API's 404 (docs/dashboard.md, "Portfolios"). Registered by the portfolio kind's
``WorkKind.blueprints``.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from rules import describe_rules
from web.pages.layout import error_page, nav, register_unavailable, tickers

bp = Blueprint("portfolio_pages", __name__)
register_unavailable(bp)

API_URL = "/api/portfolios"
"""The portfolio API the pages' scripts call (the kind's ``web.api.portfolios``)."""

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


def _is_id(text: str) -> bool:
    try:
        return str(uuid.UUID(text, version=4)) == text
    except ValueError:
        return False


@bp.get("/portfolios")
def portfolios_page() -> ResponseReturnValue:
    """The portfolio form and the list of recent portfolios."""
    page_data = {
        "submit_url": API_URL,
        "list_url": API_URL,
        "page_url": "/portfolios/PORTFOLIO_ID",
        "defaults": FORM_DEFAULTS,
        "language": _language(),
    }
    return render_template(
        "portfolios/list.html",
        tickers=tickers(),
        defaults=FORM_DEFAULTS,
        schedules=SCHEDULES,
        page_data=page_data,
        **nav(),
    )


@bp.get("/portfolios/<portfolio_id>")
def portfolio_page(portfolio_id: str) -> ResponseReturnValue:
    """One portfolio: status, charts, contributions, orders and metrics (a malformed id is
    the 404 page; an unknown or unreadable one the API's 404, shown by the script)."""
    if not _is_id(portfolio_id):
        return error_page(
            404, "portfolio not found", f"There is no portfolio with id {portfolio_id[:80]}."
        )
    page_data = {"portfolio_id": portfolio_id, "status_url": f"{API_URL}/{portfolio_id}"}
    return render_template(
        "portfolios/detail.html", portfolio_id=portfolio_id, page_data=page_data, **nav()
    )
