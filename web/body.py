"""Reading a JSON object from a request body, for every API route that takes one.

The body must be sent as ``application/json`` (which a cross-site HTML form cannot do) and
decode to a JSON object. Anything else is a 400 naming the field ``body``. Integers too
large for a float decode as ±infinity, so the field's own check rejects them with a 400
instead of an ``OverflowError`` deep inside validation. A string holding a lone surrogate
(``"\\ud800"`` escaped, or its raw UTF-8 bytes ``ED A0 80``: no Unicode text that can be
stored or sent back) is a 400 naming the field that holds it, instead of an encoding error
in the database driver.

Before any route validates a body, its size in the ways that make validation slow is
bounded (issue 23 §2: 62,000 unknown keys took a worker over 30 s to refuse): keys in the
whole body and in one object, array items in the whole body, nesting depth and the length
of one number. Every check here
costs time linear in the body, so a refusal of a 1 MiB body stays in milliseconds.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import request

from web.errors import ApiError

MAX_KEYS = 10_000
"""Keys in a whole body (a real request has well under a hundred)."""
MAX_OBJECT_KEYS = 1_000
"""Keys in one object of a body (a rule's params or a sweep's grid has a dozen)."""
MAX_DEPTH = 32
"""Nesting of objects and arrays, the body itself being level 1 (a COMPOSITE preset's
sub-rule parameters are at level 5)."""
MAX_NUMBER_CHARS = 1_000
"""Characters of one number literal (an integer beyond float range needs 310)."""
MAX_ITEMS = 200_000
"""Items of all arrays in a body (a sweep's grid entry may list 100,000 values)."""

TOO_MANY_KEYS = f"must hold at most {MAX_KEYS} keys in all"
TOO_MANY_OBJECT_KEYS = f"must hold at most {MAX_OBJECT_KEYS} keys"
TOO_DEEP = f"must not nest deeper than {MAX_DEPTH} levels"
TOO_MANY_ITEMS = f"must hold at most {MAX_ITEMS} array items in all"
NUMBER_TOO_LONG = f"must be a number of at most {MAX_NUMBER_CHARS} characters"
NOT_UNICODE = "must be valid Unicode text (it holds a lone surrogate)"

_BIG_INT_DIGITS = 400
"""An integer literal this long is certainly beyond float range; skip parsing it."""
_KEY_SHOWN = 40
"""Characters of a key shown in a field's path."""


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


def _text(raw: bytes) -> str:
    """``raw`` decoded as ``json.loads`` decodes bytes (UTF-8/16/32; surrogates pass, to be
    refused naming their field).

    :raise ValueError: if ``raw`` is not text in the encoding it looks like.
    """
    return raw.decode(json.detect_encoding(raw), "surrogatepass")


class _LongNumber:
    """Stands for a number literal longer than ``MAX_NUMBER_CHARS`` (never converted)."""


_LONG_NUMBER = _LongNumber()


class _TooManyKeys(Exception):
    """Decoding stopped: the body holds more than ``MAX_KEYS`` keys."""


_DIGIT_RUN = re.compile("[0-9]{300}")
"""Found in every number literal that may not fit a float, or is over ``MAX_NUMBER_CHARS``:
without one, every integer decodes as itself and fits a float."""


class _BoundedDecoder:
    """One body's decoding. Only when the text says it may be needed (a hook is a Python call
    per value): keys are counted as objects complete (more colons than ``MAX_KEYS``), and
    numbers go through ``_parse_int`` with over-long literals left unconverted (a run of 300
    digits). What it saw decides which checks the decoded value needs."""

    def __init__(self) -> None:
        self.keys = 0
        self.long_numbers = False

    def integer(self, text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            self.long_numbers = True
            return _LONG_NUMBER
        return _parse_int(text)

    def real(self, text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            self.long_numbers = True
            return _LONG_NUMBER
        return float(text)

    def object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.keys += len(pairs)
        if self.keys > MAX_KEYS:
            raise _TooManyKeys
        return dict(pairs)

    def decode(self, text: str) -> Any:
        """:raise ValueError: invalid JSON. :raise _TooManyKeys: see its docstring."""
        hooks: dict[str, Any] = {}
        if _DIGIT_RUN.search(text):
            hooks.update(parse_int=self.integer, parse_float=self.real)
        if text.count(":") > MAX_KEYS:  # keys <= colons
            hooks.update(object_pairs_hook=self.object)
        try:
            return json.loads(text, **hooks)
        except RecursionError:
            raise ValueError("JSON nests too deeply") from None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""How an escaped lone surrogate appears in the body's text."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def _problem(value: Any, depth: int, scalars: tuple[type, ...]) -> tuple[list[str], str] | None:
    """The first thing in ``value`` (at nesting ``depth``) a body may not hold, as (its path's
    parts, innermost first; the message), or None. ``scalars`` are the scalar types worth a
    look (``str`` when the body may hold a surrogate, ``_LongNumber`` when it holds one)."""
    if isinstance(value, str):
        return ([], NOT_UNICODE) if _SURROGATE.search(value) else None
    if isinstance(value, _LongNumber):
        return [], NUMBER_TOO_LONG
    if depth > MAX_DEPTH:
        return [], TOO_DEEP
    if isinstance(value, dict):
        if len(value) > MAX_OBJECT_KEYS:
            return [], TOO_MANY_OBJECT_KEYS
        for key, item in value.items():
            if str in scalars and _SURROGATE.search(key):
                return [], NOT_UNICODE
            if isinstance(item, scalars):
                found = _problem(item, depth + 1, scalars)
                if found is not None:
                    found[0].append(f".{key[:_KEY_SHOWN]}")
                    return found
    else:
        for index, item in enumerate(value):
            if isinstance(item, scalars):
                found = _problem(item, depth + 1, scalars)
                if found is not None:
                    found[0].append(f"[{index}]")
                    return found
    return None


def _too_many_items(value: Any) -> bool:
    """Whether the arrays in ``value`` hold more than ``MAX_ITEMS`` items in all (containers
    below ``MAX_DEPTH`` are left to ``_problem``). An array's length counts before its items
    are looked at, so a body of one huge array is refused without walking it."""
    count = 0
    pending = [(value, 1)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(container, list):
            count += len(container)
            if count > MAX_ITEMS:
                return True
            children = container
        else:
            children = container.values()
        pending.extend((item, depth + 1) for item in children if isinstance(item, dict | list))
    return False


def _field(parts: list[str]) -> str:
    """``[".b", "[1]", ".a"]`` (innermost first) -> ``"a[1].b"``; no parts -> ``"body"``."""
    return "".join(reversed(parts)).removeprefix(".") or "body"


def read_json_object(raw: bytes) -> dict[str, Any]:
    """``raw`` decoded as a JSON object, refused unless it is one and within the bounds.

    :raise ApiError 400: naming ``body`` for an undecodable document, one that is no object,
        or one with more than ``MAX_KEYS`` keys or ``MAX_ITEMS`` array items; naming the
        field (a dotted path, ``body`` for the top level) that holds too many keys, nests too
        deeply, or holds an over-long number or a lone surrogate.
    """
    decoder = _BoundedDecoder()
    try:
        text = _text(raw)
        payload = decoder.decode(text)
    except ValueError:
        raise ApiError(400, "is not valid JSON", field="body") from None
    except _TooManyKeys:
        raise ApiError(400, TOO_MANY_KEYS, field="body") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "must be a JSON object", field="body")
    if text.count(",") + text.count("[") > MAX_ITEMS and _too_many_items(payload):
        raise ApiError(400, TOO_MANY_ITEMS, field="body")
    scalars: tuple[type, ...] = (dict, list)
    if _SURROGATE.search(text) or _SURROGATE_ESCAPE.search(text):
        scalars += (str,)
    if decoder.long_numbers:
        scalars += (_LongNumber,)
    found = _problem(payload, 1, scalars)
    if found is not None:
        parts, message = found
        raise ApiError(400, message, field=_field(parts))
    return payload


def json_object() -> dict[str, Any]:
    """The current request's body as a JSON object (``read_json_object``).

    :raise ApiError 400: (field ``body``) for another content type; the 400s of
        ``read_json_object``.
    """
    if not request.is_json:
        raise ApiError(400, "must be JSON (Content-Type: application/json)", field="body")
    return read_json_object(request.get_data(cache=True))
