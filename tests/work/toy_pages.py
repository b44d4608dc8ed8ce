"""The toy kind's page (``tests.work.toy_kind``): one HTML page in the dashboard's layout and
its ``NAV`` entry, so a registered kind's pages join the navigation bar with nothing in the
platform edited (``web.pages.layout.nav_links``)."""

from __future__ import annotations

from flask import Blueprint, render_template_string

from web.pages.layout import NavLink, nav

bp = Blueprint("toy_pages", __name__)
NAV = NavLink("Toys", "toy_pages.toys_page")
"""The toy page's entry in the navigation bar."""

PAGE = '{% extends "dashboard/base.html" %}{% block content %}<h1>Toys</h1>{% endblock %}'


@bp.get("/toys")
def toys_page() -> str:
    """The toys' page, in the dashboard's layout."""
    return render_template_string(PAGE, **nav())
