"""The run kind's JSON API: one blueprint, ``bp`` (``runs``), whose prefix ``/api/runs`` is set
here once; each module of this package attaches its views to it:

- ``submit``: ``POST /api/runs`` (submit) and ``GET /api/runs/<run_id>`` (status);
- ``history``: ``GET /api/runs`` (the run history);
- ``manage``: ``POST /api/runs/<run_id>/cancel``, ``DELETE`` and ``PATCH /api/runs/<run_id>``;
- ``data``: ``GET /api/runs/lookup``, ``/api/runs/<run_id>/result.json``,
  ``/api/runs/<run_id>/trades.csv`` and ``/api/runs/compare/curves.json``;
- ``report``: ``GET /api/runs/<run_id>/report``;
- ``indicators``: ``GET /api/runs/<run_id>/indicators``.

The older routes outside the prefix are contracts and keep answering: ``legacy_route`` adds
each as one more URL rule of the same view under the same endpoint (``runs.<view>``), so the
old path and its ``/api/runs`` twin are one view, ``POST /run_backtest`` is the rate-limited
``runs.submit``, and — the legacy rule being registered first — ``url_for`` keeps building the
links handed out so far (``status_url`` ``/status/<id>``, ``result_url``
``/runs/<id>/result.json``…). ``LEGACY_RULES`` lists them: ``POST /run_backtest``, ``GET
/status/<run_id>``, ``/runs/<run_id>/result.json``, ``/runs/<run_id>/trades.csv``,
``/compare/curves.json``.
"""

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


from web.api.runs import data, history, indicators, manage, report, submit  # noqa: E402

__all__ = [
    "LEGACY_RULES",
    "bp",
    "data",
    "history",
    "indicators",
    "legacy_route",
    "manage",
    "report",
    "submit",
]
