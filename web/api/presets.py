"""Strategy presets: ``GET``/``POST /api/strategies`` and ``DELETE /api/strategies/<id>``.

A preset is a name and the dashboard form's values (``payload``: parameters only, never
code). Names are stored and returned verbatim; escaping them is the dashboard's job.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Annotated, Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from store.presets import DuplicatePresetError, create_preset, delete_preset, list_presets
from web.auth import current_user
from web.body import json_object
from web.db import get_session
from web.errors import ApiError
from web.present import preset
from work.errors import unknown_field

bp = Blueprint("presets", __name__, url_prefix="/api/strategies")

NAME_MAX = 100
"""Longest preset name, in characters after stripping (the column is VARCHAR(100))."""

PAYLOAD_MAX_BYTES = 16 * 1024
"""Largest preset payload as stored JSON; the column is a TEXT (64 KiB in MySQL)."""

ID_MAX = 2**31 - 1
"""Largest preset id in the URL; anything bigger cannot exist (and SQLite would overflow)."""


def _strip(value: Any) -> Any:
    """A name as stored: stripped and NFC-normalised (é typed composed or as e + accent is
    one name; names are unique as exact text, ``store.models.PresetName``)."""
    return unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else value


def _json_size(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        size = len(json.dumps(payload, allow_nan=False).encode())
    except (ValueError, RecursionError):
        raise PydanticCustomError("not_finite", "must hold only finite numbers") from None
    if size > PAYLOAD_MAX_BYTES:
        raise PydanticCustomError("too_large", "too large")
    return payload


class PresetBody(BaseModel):
    """A preset request body: a name and the form's values (stored as JSON)."""

    model_config = ConfigDict(extra="forbid", title="Preset")

    name: Annotated[
        str, BeforeValidator(_strip), Field(strict=True, min_length=1, max_length=NAME_MAX)
    ]
    payload: Annotated[
        dict[str, Any],
        Field(strict=True, description="the run form's values"),
        AfterValidator(_json_size),
    ]


_MESSAGES = {
    ("name", "too_long"): f"must be at most {NAME_MAX} characters",
    ("payload", "not_finite"): "must hold only finite numbers",
    ("payload", "too_large"): f"must be at most {PAYLOAD_MAX_BYTES} bytes as JSON",
}
_DEFAULT_MESSAGES = {
    "name": "is required (a non-empty string)",
    "payload": "must be a JSON object of form values",
}


def _api_error(exc: ValidationError) -> ApiError:
    """The 400 for the first error a user should fix: an unknown field, then name, payload."""
    errors = exc.errors(include_url=False, include_context=False)
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
    if unknown:
        field, message = unknown_field(unknown[0], "preset")
        return ApiError(400, message, field=field)
    field = str(errors[0]["loc"][0])
    message = _MESSAGES.get((field, errors[0]["type"]), _DEFAULT_MESSAGES[field])
    return ApiError(400, message, field=field)


def validate_preset(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, payload) of a preset request body.

    :raise ApiError 400: naming ``name``, ``payload`` or an unknown field.
    """
    try:
        preset_body = PresetBody.model_validate(body)
    except ValidationError as exc:
        raise _api_error(exc) from None
    return preset_body.name, body["payload"]


@bp.get("")
def list_all() -> ResponseReturnValue:
    """Every preset, by name."""
    return jsonify([preset(row) for row in list_presets(get_session())])


@bp.post("")
def create() -> ResponseReturnValue:
    """Save a named preset; 409 if the name is taken."""
    name, payload = validate_preset(json_object())
    session = get_session()
    try:
        with session.begin():
            row = create_preset(session, name, payload, created_by=current_user())
    except DuplicatePresetError:
        raise ApiError(409, f'a preset named "{name}" already exists', field="name") from None
    return preset(row), 201


@bp.delete(f"/<int(max={ID_MAX}):preset_id>")
def delete(preset_id: int) -> ResponseReturnValue:
    """Delete a preset; 404 if there is none with that id."""
    session = get_session()
    with session.begin():
        deleted = delete_preset(session, preset_id)
    if not deleted:
        raise ApiError(404, "preset not found")
    return "", 204
