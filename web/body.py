"""Reading a JSON object from a request body, for every API route that takes one.

The body must be sent as ``application/json`` (which a cross-site HTML form cannot do) and
decode to a JSON object. Anything else is a 400 naming the field ``body``. Integers too
large for a float decode as ±infinity, so the field's own check rejects them with a 400
instead of an ``OverflowError`` deep inside validation. A string holding a lone surrogate
(``"\\ud800"``: valid JSON, but no Unicode text that can be stored or sent back) is a 400
naming the field that holds it, instead of an encoding error in the database driver.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import request

from web.errors import ApiError

_BIG_INT_DIGITS = 400
"""An integer literal this long is certainly beyond float range; skip parsing it."""


def _parse_int(text: str) -> int | float:
    """``int(text)``, or ±inf when the value does not fit a float."""
    sign = -1.0 if text.startswith("-") else 1.0
    if len(text) > _BIG_INT_DIGITS:
        return math.copysign(math.inf, sign)
    value = int(text)
    try:
        float(value)
    except OverflowError:
        return math.copysign(math.inf, sign)
    return value


def decode_json(raw: bytes) -> Any:
    """Decode a JSON document (UTF-8/16/32).

    :raise ValueError: if ``raw`` is not valid JSON or nests too deeply to decode.
    """
    try:
        return json.loads(raw, parse_int=_parse_int)
    except RecursionError:
        raise ValueError("JSON nests too deeply") from None


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
"""How a lone surrogate gets into decoded JSON: an escape (UTF-8 bytes cannot encode one)."""
_SURROGATE = re.compile("[\ud800-\udfff]")
NOT_UNICODE = "must be valid Unicode text (it holds a lone surrogate)"


def surrogate_path(value: Any, path: str = "") -> str | None:
    """The dotted path (``params.name``, ``tickers[1]``) of the first key or string in
    ``value`` holding a lone surrogate, or None; ``"body"`` for a top-level string."""
    if isinstance(value, str):
        return (path or "body") if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _SURROGATE.search(key):
                return path or "body"
            found = surrogate_path(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = surrogate_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def json_object() -> dict[str, Any]:
    """The current request's body as a JSON object.

    :raise ApiError 400: (field ``body``) for another content type, invalid JSON or a JSON
        value that is not an object.
    """
    if not request.is_json:
        raise ApiError(400, "must be JSON (Content-Type: application/json)", field="body")
    try:
        payload = decode_json(request.get_data(cache=True))
    except ValueError:
        raise ApiError(400, "is not valid JSON", field="body") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "must be a JSON object", field="body")
    if _SURROGATE_ESCAPE.search(request.get_data(cache=True)):
        field = surrogate_path(payload)
        if field is not None:
            raise ApiError(400, NOT_UNICODE, field=field)
    return payload
