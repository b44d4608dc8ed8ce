"""What every dashboard page shares: the navigation bar's data and the statuses its
scripts read, the ticker list of the forms, the HTML error page, and the 503 page a
database or Redis outage gets (JSON routes answer those with ``web.errors``' JSON)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, render_template
from redis.exceptions import RedisError

from kinds.sweeps.status import SWEEP_FINISHED, SWEEP_STATUSES
from web.errors import DATABASE_ERRORS
from web.pages.rq_dashboard import URL_PREFIX
from web.present import catalog_tickers
from work.status import ALL_STATUSES, FINISHED

logger = logging.getLogger("web.pages")


def page_statuses() -> dict[str, Any]:
    """The states the pages' scripts compare against, from ``work.status`` and
    ``kinds.sweeps.status`` (base.html writes them into ``#bt-statuses``; JS never types them)."""
    return {
        **{status.name: status.value for status in (*ALL_STATUSES, *SWEEP_STATUSES)},
        "FINISHED": sorted(FINISHED),
        "WAITING": [status for status in ALL_STATUSES if status not in FINISHED],
        "SWEEP_FINISHED": sorted(SWEEP_FINISHED),
    }


def nav() -> dict[str, Any]:
    """What every page's layout needs: the navigation bar's links and the statuses."""
    mounted = current_app.config.get("RQ_DASHBOARD_MOUNTED")
    return {"rq_url": URL_PREFIX + "/" if mounted else None, "bt_statuses": page_statuses()}


def tickers() -> list[dict[str, Any]]:
    """The data catalog's tickers, as the forms list them (``web.present.catalog_tickers``)."""
    return catalog_tickers(current_app.config["DATA_DIR"])


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    """The dashboard's HTML error page."""
    return render_template("dashboard/error.html", title=title, message=message, **nav()), status


def _unavailable(error: Exception) -> tuple[str, int]:
    what = "queue" if isinstance(error, RedisError) else "database"
    logger.error("%s unavailable: %s", what, error.__class__.__name__)
    return error_page(503, f"{what} unavailable", f"The {what} cannot be reached; retry.")


def register_unavailable(bp: Blueprint) -> None:
    """Answer a database or Redis outage on ``bp``'s pages with the 503 page."""
    for error_class in (*DATABASE_ERRORS, RedisError):
        bp.register_error_handler(error_class, _unavailable)
