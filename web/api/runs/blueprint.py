"""The run API's one blueprint, ``bp`` (``runs``, prefix ``/api/runs``), and ``legacy_route``,
which adds an older route outside that prefix to a view (``web.api.runs`` says which). Its own
module so that the views' modules import it and the package imports them, with no cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint
from flask.sansio.blueprints import BlueprintSetupState

bp = Blueprint("runs", __name__, url_prefix="/api/runs")

LEGACY_RULES: list[str] = []
"""The rules outside ``/api/runs`` that ``legacy_route`` added, in order."""

View = TypeVar("View", bound=Callable[..., Any])


def legacy_route(rule: str, **options: Any) -> Callable[[View], View]:
    """Also serve the decorated view at ``rule``, outside the blueprint's prefix, under the
    view's own endpoint. Put it right above the ``def`` (below the view's ``@bp`` routes): the
    rule registered first is the one ``url_for`` builds, and the legacy one is what links
    have always named."""

    def decorate(view: View) -> View:
        def add(state: BlueprintSetupState) -> None:
            endpoint = f"{state.name_prefix}.{state.name}.{view.__name__}".lstrip(".")
            state.app.add_url_rule(rule, endpoint, view, **options)

        bp.record(add)
        LEGACY_RULES.append(rule)
        return view

    return decorate
