"""Strategy presets: ``GET``/``POST /api/strategies`` and ``DELETE /api/strategies/<id>``.

A preset is a name and the dashboard form's values (``payload``: parameters only, never
code). Names are stored and returned verbatim; escaping them is the dashboard's job.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify

from store.presets import DuplicatePresetError, create_preset, delete_preset, list_presets
from web.body import json_object
from web.db import get_session
from web.errors import ApiError
from web.present import preset

bp = Blueprint("presets", __name__, url_prefix="/api/strategies")

NAME_MAX = 100
"""Longest preset name, in characters after stripping (the column is VARCHAR(100))."""

PAYLOAD_MAX_BYTES = 16 * 1024
"""Largest preset payload as stored JSON; the column is a TEXT (64 KiB in MySQL)."""

PRESET_FIELDS = ("name", "payload")

ID_MAX = 2**31 - 1
"""Largest preset id in the URL; anything bigger cannot exist (and SQLite would overflow)."""


def validate_preset(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, payload) of a preset request body.

    :raise ApiError 400: naming ``name``, ``payload`` or an unknown field.
    """
    unknown = sorted(set(body) - set(PRESET_FIELDS))
    if unknown:
        raise ApiError(400, "is not a preset field", field=unknown[0])
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "is required (a non-empty string)", field="name")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ApiError(400, f"must be at most {NAME_MAX} characters", field="name")
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise ApiError(400, "must be a JSON object of form values", field="payload")
    try:
        size = len(json.dumps(payload, allow_nan=False).encode())
    except (ValueError, RecursionError):
        raise ApiError(400, "must hold only finite numbers", field="payload") from None
    if size > PAYLOAD_MAX_BYTES:
        raise ApiError(400, f"must be at most {PAYLOAD_MAX_BYTES} bytes as JSON", field="payload")
    return name, payload


@bp.get("")
def list_all():
    """Every preset, by name."""
    return jsonify([preset(row) for row in list_presets(get_session())])


@bp.post("")
def create():
    """Save a named preset; 409 if the name is taken."""
    name, payload = validate_preset(json_object())
    try:
        row = create_preset(get_session(), name, payload)
    except DuplicatePresetError:
        raise ApiError(409, f'a preset named "{name}" already exists', field="name") from None
    return preset(row), 201


@bp.delete(f"/<int(max={ID_MAX}):preset_id>")
def delete(preset_id: int):
    """Delete a preset; 404 if there is none with that id."""
    if not delete_preset(get_session(), preset_id):
        raise ApiError(404, "preset not found")
    return "", 204
