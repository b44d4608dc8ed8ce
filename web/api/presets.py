"""Strategy presets: ``GET``/``POST /api/strategies`` and ``GET``/``PUT``/``DELETE
/api/strategies/<id>``.

A preset is a name, a ``kind`` and a form's values (``payload``: parameters only, never
code). ``kind`` (optional, default ``run``; ``PRESET_KINDS``) says which form:

* ``run``: the run form's values. A payload may be partial (the form fills what it lacks with
  its defaults), but the rule it names is checked against the rule registry as a run
  request's is (``rules.validate_rule``): an unknown ``rule_type`` or invalid ``params`` is a
  400 naming ``payload.rule_type`` / ``payload.params…``; ``params`` without a ``rule_type``
  is refused.
* ``portfolio``: a whole portfolio request, checked as ``POST /api/portfolios`` checks one
  (the contract, every ticker in the catalog, the memory cap, the expressions parsed, never
  run): its 400 names ``payload.<field>``.
* ``study``: a whole study request (of a run, or over a portfolio: ``kind``, ``base``),
  checked as ``POST /api/studies`` checks one (nothing recorded or queued): its 400 names
  ``payload.<field>``.
* ``walkforward``: a whole walk-forward request (of a run, or over a portfolio), checked as
  ``POST /api/walkforward`` checks one (the folds planned on the data, nothing recorded or
  queued): its 400 names ``payload.<field>``.

The payload is stored as sent. ``GET /api/strategies?kind=portfolio`` lists one kind; a PUT
without ``kind`` keeps the preset's. Names are stored and returned verbatim; escaping them is
the dashboard's job.

Presets belong to their creator (``web.ownership``): the list shows the viewer's own and the
shared ones, another user's preset is the 404 of a missing one (403 read-only when shared),
and a name is unique among its owner's presets only, so a 409 never tells that another
user's preset exists. ``shared`` (optional in POST and PUT; left out of a PUT: unchanged)
shares a preset read-only with every signed-in user.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any, Literal

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from rules import RULES, RuleValidationError, validate_rule
from store.models import StrategyPreset
from store.presets import (
    DuplicatePresetError,
    create_preset,
    delete_preset,
    get_preset,
    list_presets,
    update_preset,
)
from web.api.portfolios import check_request as check_portfolio
from web.api.studies import check_request as check_study
from web.api.walkforward import check_request as check_walkforward
from web.auth import current_user
from web.body import json_object
from web.db import get_session
from web.errors import ApiError
from web.ownership import may_read, require_manage, visible
from web.present import preset
from work.errors import unknown_field

bp = Blueprint("presets", __name__, url_prefix="/api/strategies")

NAME_MAX = 100
"""Longest preset name, in characters after stripping (the column is VARCHAR(100))."""

PAYLOAD_MAX_BYTES = 16 * 1024
"""Largest preset payload as stored JSON; the column is a TEXT (64 KiB in MySQL)."""

PRESET_KINDS = ("run", "portfolio", "study", "walkforward")
"""The forms a preset may hold the values of (``StrategyPreset.kind``)."""

ID_MAX = 2**31 - 1
"""Largest preset id in the URL; anything bigger cannot exist (and SQLite would overflow).
Checked in the views (``_known_id``), not by the URL converter: werkzeug answers 405 instead
of 404 to a method whose rule matched the path but whose converter refused the value."""


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
    shared: Annotated[
        bool | None,
        Field(
            strict=True, description="read-only for every signed-in user (PUT: unchanged if absent)"
        ),
    ] = None
    kind: Annotated[
        Literal[PRESET_KINDS] | None,
        Field(
            description="the form the payload is for: run (default), portfolio, study or "
            "walkforward (PUT: unchanged if absent)",
        ),
    ] = None


_MESSAGES = {
    ("name", "too_long"): f"must be at most {NAME_MAX} characters",
    ("payload", "not_finite"): "must hold only finite numbers",
    ("payload", "too_large"): f"must be at most {PAYLOAD_MAX_BYTES} bytes as JSON",
}
_DEFAULT_MESSAGES = {
    "name": "is required (a non-empty string)",
    "payload": "must be a JSON object of form values",
    "shared": "must be true or false",
    "kind": f"must be one of {', '.join(PRESET_KINDS)}",
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


def _with_defaults(rule_type: object, params: object) -> object:
    """``params`` with the rule's defaults for the parameters it leaves out (the dashboard
    form fills them in the same way when it loads a preset), sub-rules included; anything
    that is not a known rule's dict is left for ``validate_rule`` to name."""
    spec = RULES.get(str(rule_type).strip().upper().replace("-", "_"))
    if spec is None or not isinstance(params, dict):
        return params
    filled = {p.name: p.default for p in spec.params} | params
    for param in spec.params:
        if param.type == "rules" and isinstance(filled.get(param.name), list):
            filled[param.name] = [
                {**sub, "params": _with_defaults(sub.get("rule_type"), sub.get("params") or {})}
                if isinstance(sub, dict)
                else sub
                for sub in filled[param.name]
            ]
    return filled


def _check_rule(payload: dict[str, Any]) -> None:
    """The payload's rule, if it names one, against the registry.

    :raise ApiError 400: naming ``payload.rule_type`` or the offending ``payload.params…``.
    """
    if "rule_type" not in payload:
        if payload.get("params") is not None:
            raise ApiError(400, "is required when params are given", field="payload.rule_type")
        return
    try:
        validate_rule(
            payload["rule_type"], _with_defaults(payload["rule_type"], payload.get("params"))
        )
    except RuleValidationError as exc:
        raise ApiError(400, exc.message, field=f"payload.{exc.field}") from None


def _check_request(check: Callable[[Any], Any], payload: dict[str, Any]) -> None:
    """A portfolio, study or walk-forward preset's payload, checked as its submission checks
    a request (``check``: ``POST /api/portfolios``', ``/api/studies``' or
    ``/api/walkforward``').

    :raise ApiError 400: naming ``payload.<field>``.
    """
    try:
        check(payload)
    except ApiError as exc:
        raise ApiError(400, exc.message, field=f"payload.{exc.field}") from None


def check_payload(kind: str, payload: dict[str, Any]) -> None:
    """A payload against what its kind's form submits (module docstring).

    :raise ApiError 400: naming ``payload…``.
    """
    if kind == "portfolio":
        _check_request(check_portfolio, payload)
    elif kind == "study":
        _check_request(check_study, payload)
    elif kind == "walkforward":
        _check_request(check_walkforward, payload)
    else:
        _check_rule(payload)


def validate_preset(body: dict[str, Any]) -> tuple[str, dict[str, Any], bool | None, str | None]:
    """(name, payload, shared or None when absent, kind or None when absent) of a preset
    request body; the payload is checked by ``check_payload`` once its kind is known.

    :raise ApiError 400: naming ``name``, ``payload``, ``shared``, ``kind`` or an unknown
        field.
    """
    try:
        preset_body = PresetBody.model_validate(body)
    except ValidationError as exc:
        raise _api_error(exc) from None
    return preset_body.name, body["payload"], preset_body.shared, preset_body.kind


def _kind_filter() -> str | None:
    """The list's ``?kind=``, or None for every kind.

    :raise ApiError 400: naming ``kind`` for a kind there is none of.
    """
    kind = request.args.get("kind")
    if kind is not None and kind not in PRESET_KINDS:
        raise ApiError(400, _DEFAULT_MESSAGES["kind"], field="kind")
    return kind


def _not_found() -> ApiError:
    return ApiError(404, "preset not found")


def _known_id(preset_id: int) -> int:
    """:raise ApiError 404: for an id no preset can have."""
    if preset_id > ID_MAX:
        raise _not_found()
    return preset_id


def _duplicate(name: str) -> ApiError:
    return ApiError(409, f'a preset named "{name}" already exists', field="name")


@bp.get("")
def list_all() -> ResponseReturnValue:
    """The presets the viewer may see (their own and the shared ones), of ``?kind=`` if
    given, by name."""
    rows = list_presets(get_session(), visible(StrategyPreset), _kind_filter())
    return jsonify([preset(row) for row in rows])


@bp.post("")
def create() -> ResponseReturnValue:
    """Save a named preset; 409 if the viewer has a preset of that name."""
    name, payload, shared, kind = validate_preset(json_object())
    kind = kind or "run"
    check_payload(kind, payload)
    session = get_session()
    try:
        with session.begin():
            row = create_preset(
                session, name, payload, created_by=current_user(), shared=bool(shared), kind=kind
            )
    except DuplicatePresetError:
        raise _duplicate(name) from None
    return preset(row), 201


@bp.get("/<int:preset_id>")
def get_one(preset_id: int) -> ResponseReturnValue:
    """One preset; 404 if there is none with that id (or it is not the viewer's to see)."""
    row = get_preset(get_session(), _known_id(preset_id))
    if row is None or not may_read(row):
        raise _not_found()
    return preset(row)


@bp.put("/<int:preset_id>")
def replace(preset_id: int) -> ResponseReturnValue:
    """Replace a preset's name and payload (and sharing, when given); 404 if there is none,
    403 if it is shared with the viewer read-only, 409 if the name is another of the
    owner's presets'. A body without ``kind`` keeps the preset's (its payload is checked
    as that kind's)."""
    name, payload, shared, kind = validate_preset(json_object())
    session = get_session()
    try:
        with session.begin():
            existing = get_preset(session, _known_id(preset_id))
            require_manage(existing, _not_found)
            check_payload(kind or existing.kind or "run", payload)
            row = update_preset(session, preset_id, name, payload, shared=shared, kind=kind)
    except DuplicatePresetError:
        raise _duplicate(name) from None
    if row is None:
        raise _not_found()
    return preset(row)


@bp.delete("/<int:preset_id>")
def delete(preset_id: int) -> ResponseReturnValue:
    """Delete a preset; 404 if there is none with that id, 403 if it is shared with the
    viewer read-only."""
    session = get_session()
    with session.begin():
        require_manage(get_preset(session, _known_id(preset_id)), _not_found)
        deleted = delete_preset(session, preset_id)
    if not deleted:
        raise _not_found()
    return "", 204
