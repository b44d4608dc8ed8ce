"""JSON text byte for byte ``json.dumps(value, separators=(",", ":"), allow_nan=False)``,
written by orjson (compiled, 10-20x faster) wherever its bytes are those, by ``json`` where not.

orjson's text is json.dumps's for plain JSON values (dicts with str keys, lists, tuples, str,
int, float, bool, None: what a result holds), floats included (the shortest round-trip
digits, ``1e+16`` above 1e16, ``-0.0``), but for:

* floats with 0 < |x| < 1e-4: orjson ``0.00001`` and ``2.5e-7``, json ``1e-05`` and ``2.5e-07``;
  such a text holds ``0.0000`` or ``e-``;
* NaN and infinities: orjson ``null``, json refuses them (``allow_nan=False``);
* characters past ``~`` in strings: orjson writes them as they are (UTF-8), json as ``\\uXXXX``;
* what one of them refuses and the other writes: str/int/dict/list subclasses (orjson is
  told to refuse them), ints past 64 bits, non-str keys, datetimes and dataclasses.

``dumps`` keeps orjson's text only when it shows none of these (no ``null``, only ASCII
below DEL, no ``0.0000`` or ``e-``) and asks ``json`` otherwise, for a long list (a run's
trades, a few of which have a tiny float) only about the parts that show one. The array
writers, whose values are floats by construction, write non-finite values as ``null`` (the
``float_list`` convention: results carry None) and tiny values by ``repr`` (as orjson
``Fragment``s). Texts are ASCII bytes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import orjson

_PLAIN = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)
"""orjson refuses what json would write otherwise (a str or int subclass) or refuse."""

_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_TIMES = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NAIVE_UTC

_ORJSON_YEARS = (np.datetime64("0001-01-01", "s"), np.datetime64("9999-01-01", "s"))
"""Moments orjson writes as four-digit ISO texts with the ``+00:00`` offset: [first, end)."""


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")


def _plain_text(text: bytes) -> bool:
    """Whether orjson's ``text`` is json.dumps's: no ``null`` (a NaN, or a None json writes
    the same: asked again), no character json escapes and orjson does not, no tiny float."""
    return (
        text.isascii()
        and b"\x7f" not in text
        and b"0.0000" not in text
        and b"null" not in text
        and b"e-" not in text
    )


def dumps_bytes(value: Any) -> bytes:
    """``json.dumps(value, separators=(",", ":"), allow_nan=False)`` as ASCII bytes; raises
    as it does (ValueError for NaN, TypeError for what JSON cannot hold)."""
    if type(value) in (list, tuple) and len(value) >= _PARTS_FROM:
        return _by_parts(value)
    try:
        text = orjson.dumps(value, option=_PLAIN)
    except TypeError:  # orjson.JSONEncodeError too: json decides
        return _json(value)
    return text if _plain_text(text) else _json(value)


_PARTS_FROM = 16
"""A list of at least this many items is written in parts (about the square root of its
length each): a part whose orjson text cannot be kept is written item by item, so a few odd
values (a run's trades often hold a pnl of 0.00004) cost json only their own items."""


def _by_parts(items: list | tuple) -> bytes:
    """``dumps_bytes(items)`` for a long list: its parts' orjson texts, a part that shows
    something json writes otherwise written item by item."""
    size = max(1, int(len(items) ** 0.5))
    texts = []
    for first in range(0, len(items), size):
        part = items[first : first + size]
        try:
            text = orjson.dumps(part, option=_PLAIN)
        except TypeError:
            return _json(items)  # json decides (what to refuse first, and how)
        if _plain_text(text):
            texts.append(text[1:-1])
        else:
            texts.append(b",".join(dumps_bytes(item) for item in part))
    return b"[" + b",".join(texts) + b"]"


def dumps(value: Any) -> str:
    """``dumps_bytes`` as a str."""
    return dumps_bytes(value).decode("ascii")


def float_array(values: np.ndarray) -> bytes:
    """The JSON array of ``adapters._plain.float_list(values)``: the values as floats, null
    where not finite."""
    array = np.ascontiguousarray(values, dtype=np.float64).ravel()
    text = orjson.dumps(array, option=_NUMPY)
    # the tiny values read on the array: searching the text costs half of writing it
    tiny = np.flatnonzero((array != 0) & (np.abs(array) < 1e-4))
    if not tiny.size:
        return text
    items = array.tolist()
    for at in tiny.tolist():
        items[at] = orjson.Fragment(repr(items[at]))
    return orjson.dumps(items)


def int_array(values: np.ndarray) -> bytes:
    """The JSON array of ``values.tolist()`` for an integer or boolean array."""
    array = np.ascontiguousarray(values).ravel()
    if array.dtype.kind not in "biu" or array.dtype.itemsize > 8:
        return _json(array.tolist())
    return orjson.dumps(array, option=_NUMPY)


def time_array(seconds: np.ndarray) -> bytes | None:
    """The JSON array of ISO-8601 texts with the ``+00:00`` offset of ``datetime64[s]``
    moments (``adapters.timestamps.iso_utc``), or None when one lies outside the years
    orjson writes so (1 to 9998)."""
    array = np.ascontiguousarray(seconds, dtype="datetime64[s]").ravel()
    if array.size and not (
        array.min() >= _ORJSON_YEARS[0] and array.max() < _ORJSON_YEARS[1]
    ):  # NaT compares false
        return None
    return orjson.dumps(array, option=_TIMES)
