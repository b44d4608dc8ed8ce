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
kept in the page. The routes of each kind are added when the app registers the blueprint
(``add_kind_routes``), so the URL map lists them as plain rules."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from flask import Blueprint, jsonify
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from web.api.kind import check_request, request_schema
from web.body import json_object
from web.errors import bad_request
from work.errors import RequestError
from work.kind import WorkKind

bp = Blueprint("schema", __name__, url_prefix="/api/schema")


@cache
def preset_schema() -> dict[str, Any]:
    """The preset body's JSON Schema (built once per process)."""
    from web.api.presets import PresetBody

    return PresetBody.model_json_schema()


@bp.get("/preset")
def preset() -> ResponseReturnValue:
    """The JSON Schema of ``POST /api/strategies``' body."""
    return jsonify(preset_schema())


VALID = {"valid": True}
"""The answer of a validation route for a body the submission would accept."""


def schema_of(kind: WorkKind) -> dict[str, Any]:
    """The JSON Schema of ``kind``'s submission body (``WorkKind.schema``, else its
    ``request`` model's)."""
    if kind.schema is not None:
        return kind.part(kind.schema)()
    return request_schema(kind)


def check(kind: WorkKind, body: Any) -> None:
    """Check ``body`` as ``kind``'s submission does before it looks for room on the queue
    (``WorkKind.validate``, else its ``request`` model).

    :raise ApiError 400: naming the field.
    """
    try:
        if kind.validate is not None:
            kind.part(kind.validate)(body)
        else:
            check_request(kind, body)
    except RequestError as exc:
        raise bad_request(exc) from None


@bp.record_once
def add_kind_routes(state: BlueprintSetupState) -> None:
    """When the app registers this blueprint: for each registered kind with a ``noun``,
    ``GET /<noun>`` (endpoint ``schema.<noun>``) if it declares a schema or a request model
    and ``POST /<noun>/validate`` (``schema.validate_<noun>``) if it declares checks or a
    request model."""
    from kinds.registry import all_kinds

    for kind in all_kinds():
        if kind.noun is None:
            continue
        if kind.schema is not None or kind.request is not None:
            state.add_url_rule(f"/{kind.noun}", kind.noun, partial(_schema, kind))
        if kind.validate is not None or kind.request is not None:
            rule, endpoint = f"/{kind.noun}/validate", f"validate_{kind.noun}"
            state.add_url_rule(rule, endpoint, partial(_validate, kind), methods=["POST"])


def _schema(kind: WorkKind) -> ResponseReturnValue:
    return jsonify(schema_of(kind))


def _validate(kind: WorkKind) -> ResponseReturnValue:
    check(kind, json_object())
    return VALID
