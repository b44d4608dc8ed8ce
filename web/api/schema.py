"""JSON Schemas of the request bodies, generated from the pydantic models that validate them,
and the checks a submission makes, without submitting, for every registered kind that
declares them (``WorkKind.noun``, ``schema``, ``validate``, or a ``request`` model; the
registry, ``kinds.registry``): ``GET /api/schema/<noun>`` (``run``: a run request, rule params
included; ``sweep``: the run's fields, partial params, the grid, tickers and chunk size;
``portfolio``) and ``GET /api/schema/preset``; ``POST /api/schema/<noun>/validate``
(``run``, ``sweep``, ``walkforward``, ``portfolio``, ``study``) answers 200
``{"valid": true}`` for a body the kind's submission (``POST /run_backtest``,
``/api/sweeps``, ``/api/walkforward``, ``/api/portfolios``, ``/api/studies``) would accept,
else the very 400 it would answer (``{"error", "field"}``). Nothing is recorded or queued.
The dashboard's forms show these answers: their messages are the server's, never a copy
kept in the page. An unknown noun is a 404."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from web.api.kind import check_request, request_schema
from web.body import json_object
from web.errors import ApiError, bad_request
from work.errors import RequestError
from work.kind import WorkKind

bp = Blueprint("schema", __name__, url_prefix="/api/schema")


@cache
def preset_schema() -> dict[str, Any]:
    """The preset body's JSON Schema (built once per process)."""
    from web.api.presets import PresetBody

    return PresetBody.model_json_schema()


def kind_named(noun: str) -> WorkKind:
    """The registered kind whose ``noun`` is ``noun``.

    :raise ApiError 404: none is.
    """
    from kinds.registry import all_kinds

    for kind in all_kinds():
        if kind.noun is not None and kind.noun == noun:
            return kind
    raise ApiError(404, f"no kind of work is called {noun[:40]}")


@bp.get("/preset")
def preset() -> ResponseReturnValue:
    """The JSON Schema of ``POST /api/strategies``' body."""
    return jsonify(preset_schema())


@bp.get("/<noun>")
def schema(noun: str) -> ResponseReturnValue:
    """The JSON Schema of the kind's submission body (``WorkKind.schema``, else its
    ``request`` model's); 404 for a kind that declares neither."""
    kind = kind_named(noun)
    if kind.schema is not None:
        return jsonify(kind.part(kind.schema)())
    if kind.request is not None:
        return jsonify(request_schema(kind))
    raise ApiError(404, f"the {noun} request has no schema")


VALID = {"valid": True}
"""The answer of a validation route for a body the submission would accept."""


@bp.post("/<noun>/validate")
def validate(noun: str) -> ResponseReturnValue:
    """Check a request as the kind's submission does before it looks for room on the queue
    (``WorkKind.validate``, else its ``request`` model): 200 ``{"valid": true}``, or the 400
    it would answer, naming the field; 404 for a kind that declares neither."""
    kind = kind_named(noun)
    body = json_object()
    try:
        if kind.validate is not None:
            kind.part(kind.validate)(body)
        elif kind.request is not None:
            check_request(kind, body)
        else:
            raise ApiError(404, f"the {noun} request has no checks")
    except RequestError as exc:
        raise bad_request(exc) from None
    return VALID
