"""``GET /api/runs/<run_id>/capacity``: the capacity curve a run stored (its request asked
for ``capacity``; ``adapters.capacity``), and ``…/capacity.svg``: its chart drawn in memory
from the stored table on each request (``adapters.capacity.capacity_svg``). Nothing is
computed here: the run's Job simulated every capital (docs/capacity.md). ``capacity_of``
answers a portfolio's too (``web.api.portfolios``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask.typing import ResponseReturnValue

from adapters.capacity import capacity_svg
from web.api.runs.blueprint import bp
from web.api.runs.data import stored_result
from web.errors import ApiError


def _stored_capacity(run_id: str) -> dict[str, Any]:
    """The run's stored capacity document.

    :raise ApiError 404 / 409: as ``stored_result``; 409: the run has a result but was not
        asked for a capacity curve.
    """
    return capacity_of(json.loads(stored_result(run_id)), "run")


def capacity_of(result: dict[str, Any], noun: str) -> dict[str, Any]:
    """The capacity document of a stored result (a run's or a portfolio's, ``noun``).

    :raise ApiError 409: its request did not ask for a capacity curve.
    """
    capacity = result.get("capacity")
    if not capacity:
        raise ApiError(409, f"the {noun} has no capacity curve: submit it with capacity true")
    return capacity


@bp.get("/<run_id>/capacity")
def capacity(run_id: str) -> ResponseReturnValue:
    """The run's capacity curve (docs/api.md)."""
    return {"run_id": run_id, **_stored_capacity(run_id)}


@bp.get("/<run_id>/capacity.svg")
def capacity_chart(run_id: str) -> ResponseReturnValue:
    """The run's capacity curve as an SVG chart (the Sharpe ratio and the unfilled share
    against capital, the half-Sharpe capital marked)."""
    return Response(capacity_svg(_stored_capacity(run_id)), mimetype="image/svg+xml")
