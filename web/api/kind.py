"""The JSON API a kind gets from its declaration alone (``WorkKind.request``: its pydantic
request model; docs/work-kinds.md), under ``/api/<resource>`` like every kind's:

``POST``              validate the body against the model (a 400 names the field), record the
                      item PENDING, owned by the caller, and queue it through the one
                      submission path (``web.submit``): 202 ``{<id_field>, status, status_url}``
``GET``               the newest 100 items the viewer may see (own and shared)
``GET /<id>``         its status document (``web.kind_rows.document``); another user's
                      unshared item is the 404 of a missing one (``web.ownership``)
``PATCH /<id>``       ``{"shared": bool}``, its owner or an admin only

The request's JSON Schema and its checks without submitting are ``web.api.schema``'s routes
(``request_schema``, ``check_request`` here). A kind that declares a search
(``WorkKind.search``) is swept, walked forward and studied through ``/api/sweeps``,
``/api/walkforward`` and ``/api/studies`` (``kind`` and ``base``), not routes of its own."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from web.auth import current_user
from web.body import json_object
from web.db import get_session
from web.errors import ApiError
from web.kind_rows import document, insert_item, item_row, item_rows, set_item_shared
from web.ownership import may_read, set_sharing
from web.submit import Submission, submit_work
from work.errors import RequestError, model_error
from work.kind import WorkKind
from work.status import RunStatus


def _model(kind: WorkKind) -> type[BaseModel]:
    return kind.part(kind.request)


def request_schema(kind: WorkKind) -> dict[str, Any]:
    """The JSON Schema of ``kind``'s request (its model's)."""
    return _model(kind).model_json_schema()


def check_request(kind: WorkKind, body: Any) -> dict[str, Any]:
    """``body`` validated by ``kind``'s request model: the message to queue, with a new id.

    :raise ApiError 400: naming the first offending field.
    """
    try:
        request = _model(kind).model_validate(body)
    except ValidationError as exc:
        error = model_error(exc)
        raise ApiError(400, error.message, field=error.field) from None
    return {kind.id_field: str(uuid.uuid4()), **request.model_dump(mode="json")}


def check_base(kind: WorkKind, base: Any) -> None:
    """A search's base request (a sweep's, a walk-forward's or a study's ``base``) checked
    as ``kind``'s submission checks it beyond its request model (``WorkKind.validate``: a
    portfolio's catalog and memory cap); a kind that declares no such check passes.

    :raise ApiError 400: naming ``base.<field>`` (``base`` when the check names none).
    """
    validate = kind.part(kind.validate)
    if validate is None:
        return
    try:
        validate(base)
    except RequestError as exc:
        raise ApiError(400, exc.message, field=f"base.{exc.field}") from None
    except ApiError as exc:
        exc.field = f"base.{exc.field}" if exc.field else "base"
        raise


def blueprint(kind: WorkKind) -> Blueprint:
    """The blueprint (named ``kind.resource``) of ``kind``'s routes."""
    bp = Blueprint(kind.resource or kind.name, __name__, url_prefix=f"/api/{kind.resource}")
    key = f"<{kind.id_field}>"

    def not_found() -> ApiError:
        return ApiError(404, f"{kind.name} not found")

    def submit() -> ResponseReturnValue:
        """Validate, record PENDING and queue one item; 202 with its status URL."""
        message = check_request(kind, json_object())
        item_id = message[kind.id_field]

        def insert(session: Any, queue: str) -> None:
            insert_item(session, kind, message, queue, current_user())

        def fail(session: Any, error: str) -> int:
            return int(kind.mark_failed(session, item_id, error))

        submit_work(kind, (kind.id_field, item_id), Submission(insert, [message], fail))
        status_url = url_for(f"{bp.name}.status", **{kind.id_field: item_id})
        body = {kind.id_field: item_id, "status": RunStatus.PENDING, "status_url": status_url}
        return body, 202, {"Location": status_url}

    def list_all() -> ResponseReturnValue:
        """The newest items the viewer may see."""
        return {kind.resource: [document(kind, row) for row in item_rows(get_session(), kind)]}

    def status(**key_value: str) -> ResponseReturnValue:
        """One item's status document; 404 when missing or not the viewer's to read."""
        row = item_row(get_session(), kind, key_value[kind.id_field])
        if row is None or not may_read(row):
            raise not_found()
        return document(kind, row)

    def share(**key_value: str) -> ResponseReturnValue:
        """Share the item read-only with every signed-in user, or stop."""
        item_id = key_value[kind.id_field]
        shared = set_sharing(
            item_id,
            lambda session, item: item_row(session, kind, item),
            lambda session, item, value: set_item_shared(session, kind, item, value),
            not_found,
        )
        return {kind.id_field: item_id, "shared": shared}

    bp.add_url_rule("", "submit", submit, methods=["POST"])
    bp.add_url_rule("", "list_all", list_all, methods=["GET"])
    bp.add_url_rule(f"/{key}", "status", status, methods=["GET"])
    bp.add_url_rule(f"/{key}", "share", share, methods=["PATCH"])
    return bp
