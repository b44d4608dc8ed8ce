"""What every dashboard page shares: the navigation bar's data and the statuses its
scripts read, the ticker list of the forms, the HTML error page, the 503 page a database or
Redis outage gets (JSON routes answer those with ``web.errors``' JSON), and the HTML 404
and 405 a browser gets for a page that does not exist (``serve_missing_pages``)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing.exceptions import RoutingException

from kinds.sweeps.status import SWEEP_FINISHED, SWEEP_STATUSES
from web.db import get_session
from web.errors import DATABASE_ERRORS, http_error
from web.ownership import ItemLookup, viewer
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


@dataclass(frozen=True)
class NavLink:
    """A navigation bar entry a page blueprint declares as its module's ``NAV``: its
    ``label``, the ``endpoint`` it links to and every endpoint (``active``) under which the
    entry is marked as the current page. A kind's pages thus appear in the bar when the kind
    registers them (``WorkKind.blueprints``), in the registry's order, and base.html names
    no kind."""

    label: str
    endpoint: str
    active: tuple[str, ...] = ()


def nav_links() -> list[dict[str, Any]]:
    """The navigation entries of the registered page blueprints, in registration order: for
    each module whose ``bp`` is registered and that declares ``NAV`` (or a blueprint built
    with its ``NAV``: a kind's declared page, ``web.pages.kind``), its label, URL and the
    endpoints that mark it active."""
    links = []
    for blueprint in current_app.blueprints.values():
        link = getattr(blueprint, "NAV", None) or getattr(
            sys.modules.get(blueprint.import_name), "NAV", None
        )
        if isinstance(link, NavLink):
            links.append(
                {
                    "label": link.label,
                    "url": url_for(link.endpoint),
                    "active": (link.endpoint, *link.active),
                }
            )
    return links


def nav() -> dict[str, Any]:
    """What every page's layout needs: the navigation bar's links and the statuses."""
    mounted = current_app.config.get("RQ_DASHBOARD_MOUNTED")
    return {
        "rq_url": URL_PREFIX + "/" if mounted else None,
        "nav_links": nav_links(),
        "bt_statuses": page_statuses(),
    }


def tickers() -> list[dict[str, Any]]:
    """The data catalog's tickers, as the forms list them (``web.present.catalog_tickers``):
    those without a sector first, then the demo universe's by sector, each part by ticker
    (so a form's first ticker, its default, is not a universe member)."""
    entries = catalog_tickers(current_app.config["DATA_DIR"])
    return sorted(entries, key=lambda t: (t["sector"] is not None, t["sector"] or "", t["ticker"]))


def preset_viewer() -> dict[str, object]:
    """Who a page's preset controls are for: the token's ``name`` (None in AUTH_MODE=none: no
    owners, no sharing) and whether they may change every preset (``manages_all``: an
    admin, or AUTH_MODE=none), as ``web.ownership.may_manage`` decides for one preset."""
    who = viewer()
    return {"name": who.name, "manages_all": not who.restricted}


def error_page(status: int, title: str, message: str) -> tuple[str, int]:
    """The dashboard's HTML error page."""
    return render_template("dashboard/error.html", title=title, message=message, **nav()), status


def not_found_page(noun: str, item_id: str) -> tuple[str, int]:
    """The 404 page of an id naming no ``noun`` the viewer may read (missing, not theirs, or
    malformed: the same page)."""
    return error_page(404, f"{noun} not found", f"There is no {noun} with id {item_id[:80]}.")


T = TypeVar("T")


def item_page(
    lookup: ItemLookup[T],
) -> Callable[[Callable[[T], ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """The page of one item, by the id in its URL (its one variable): the view is called
    with the row ``lookup.row`` finds; an id naming none the viewer may read is the 404
    page (``not_found_page``)."""

    def decorate(view: Callable[[T], ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def page(**url: str) -> ResponseReturnValue:
            (item_id,) = url.values()
            row = lookup.row(get_session(), item_id)
            if row is None:
                return not_found_page(lookup.noun, item_id)
            return view(row)

        return page

    return decorate


def _unavailable(error: Exception) -> tuple[str, int]:
    what = "queue" if isinstance(error, RedisError) else "database"
    logger.error("%s unavailable: %s", what, error.__class__.__name__)
    return error_page(503, f"{what} unavailable", f"The {what} cannot be reached; retry.")


def register_unavailable(bp: Blueprint) -> None:
    """Answer a database or Redis outage on ``bp``'s pages with the 503 page."""
    for error_class in (*DATABASE_ERRORS, RedisError):
        bp.register_error_handler(error_class, _unavailable)


PAGE_MODULES = "web.pages."
"""Blueprints imported from under this package serve HTML pages; every other one JSON."""


def _matched_endpoint() -> str | None:
    """The endpoint the request's URL belongs to: its rule's, or for a 405 the endpoint
    the URL matches with a method it allows; None when no rule matches the URL."""
    if request.url_rule is not None:
        return request.url_rule.endpoint
    failure = request.routing_exception
    if not isinstance(failure, MethodNotAllowed) or not failure.valid_methods:
        return None
    adapter = current_app.create_url_adapter(request)
    try:
        endpoint, _ = adapter.match(request.path, method=failure.valid_methods[0])
    except (HTTPException, RoutingException):
        return None
    return endpoint


def _is_page(endpoint: str) -> bool:
    blueprint = current_app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint is not None and blueprint.import_name.startswith(PAGE_MODULES)


def wants_page() -> bool:
    """Whether an error should be answered with an HTML page: the client prefers HTML to
    JSON (a browser; ``*/*``, no Accept header and ``application/json`` keep JSON), the
    path is not under ``/api/``, and the URL matches no rule or a page's (the legacy JSON
    routes, ``/run_backtest``, ``/status/<id>``, ``/metrics``…, keep JSON)."""
    if request.path == "/api" or request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(("application/json", "text/html"))
    if best != "text/html":
        return False
    endpoint = _matched_endpoint()
    return endpoint is None or _is_page(endpoint)


def _missing_page(error: HTTPException) -> Response | tuple[str, int]:
    """A browser's 404 or 405 as the dashboard's HTML page; anything else as
    ``web.errors``' JSON, byte for byte as before."""
    if not wants_page():
        return http_error(error)
    path = request.path[:200]
    if isinstance(error, MethodNotAllowed):
        page, status = error_page(
            405, "Method not allowed", f"{path} does not answer {request.method} requests."
        )
        response = current_app.make_response((page, status))
        response.headers["Allow"] = ", ".join(error.valid_methods or ())
        return response
    return error_page(404, "Page not found", f"There is no page at {path}.")


def serve_missing_pages(bp: Blueprint) -> None:
    """Answer the app's 404s and 405s with ``_missing_page`` (registered app-wide through
    ``bp``, once: its handler is tried before ``web.errors``' generic one)."""
    for code in (404, 405):
        bp.app_errorhandler(code)(_missing_page)
