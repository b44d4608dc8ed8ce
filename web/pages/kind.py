"""The page a kind gets from its declaration (``WorkKind.page``: the text of a Jinja template
extending ``dashboard/base.html``; docs/work-kinds.md): ``/<resource>`` renders it with
``items`` (the newest items the viewer may see, as the API documents them,
``web.kind_rows.document``) and ``kind``, in the dashboard's layout, and its navigation entry
(``NAV``: ``WorkKind.nav_label``) joins the bar after the pages registered before it."""

from __future__ import annotations

from flask import Blueprint, render_template_string

from web.db import get_session
from web.kind_rows import document, item_rows
from web.pages.layout import NavLink, nav, register_unavailable
from work.kind import WorkKind


def blueprint(kind: WorkKind) -> Blueprint:
    """The blueprint (``<resource>_pages``) of ``kind``'s page, its ``NAV`` and ``kind`` set."""
    bp = Blueprint(f"{kind.resource}_pages", __name__)
    register_unavailable(bp)

    def list_page() -> str:
        """The kind's items, in its own template."""
        items = [document(kind, row) for row in item_rows(get_session(), kind)]
        return render_template_string(kind.part(kind.page), items=items, kind=kind, **nav())

    bp.add_url_rule(f"/{kind.resource}", "list_page", list_page)
    bp.NAV = NavLink(kind.nav_label, f"{bp.name}.list_page")  # type: ignore[attr-defined]
    bp.kind = kind  # type: ignore[attr-defined]
    return bp
