"""``GET /api/kinds``: what the platform accepts, from the registry (``kinds.registry``): for
each kind users submit (``WorkKind.resource``), its name, resource, noun and the field naming
a submitted one, and its URLs: submit and list (``/api/<resource>``), status (``{id}`` for
the id), its request's JSON Schema and checks when it has them (``web.api.schema``) and its
page when it has one. The notebook client (``backtest_client``) and the bulk command read it,
so neither names a kind (docs/client.md)."""

from __future__ import annotations

import sys
from typing import Any

from flask import Blueprint, current_app, url_for
from flask.typing import ResponseReturnValue

from work.kind import WorkKind

bp = Blueprint("work_kinds", __name__, url_prefix="/api/kinds")


def page_url(kind: WorkKind) -> str | None:
    """The URL of the page the kind's navigation entry links (its blueprints' ``NAV``, or the
    page its declaration gives it), or None."""
    for blueprint in current_app.blueprints.values():
        owned = blueprint.import_name in kind.blueprints or getattr(blueprint, "kind", None) is kind
        link = getattr(blueprint, "NAV", None) or getattr(
            sys.modules.get(blueprint.import_name), "NAV", None
        )
        if owned and link is not None:
            return url_for(link.endpoint)
    return None


def describe(kind: WorkKind) -> dict[str, Any]:
    """One kind as ``GET /api/kinds`` lists it."""
    base = f"/api/{kind.resource}"
    schema = kind.noun is not None and bool(kind.schema or kind.request)
    checks = kind.noun is not None and bool(kind.validate or kind.request)
    return {
        "name": kind.name,
        "resource": kind.resource,
        "noun": kind.noun,
        "id_field": kind.submitted_id,
        "submit_url": base,
        "list_url": base,
        "status_url": base + "/{id}",
        "schema_url": f"/api/schema/{kind.noun}" if schema else None,
        "validate_url": f"/api/schema/{kind.noun}/validate" if checks else None,
        "page_url": page_url(kind),
    }


@bp.get("")
def list_all() -> ResponseReturnValue:
    """Every registered kind users submit, in the registry's order."""
    from kinds.registry import all_kinds

    return {"kinds": [describe(kind) for kind in all_kinds() if kind.resource]}
