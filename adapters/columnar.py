"""A result's columns held as numpy arrays until they are read or written.

A run's result is JSON of columns (curves of timestamps and numbers, signal times). Built as
Python lists, one timestamp string and one float object at a time, they cost more than the
backtest. Here a column stays an array (``Column``: the values at the curve's points) and
``Columns``, a curve, reads as the dict of lists it stands for (each list made on its first
read; an adapter returns that dict unless asked for the columns, ``held``), while
``object_json`` writes a document holding them in one pass: each column's JSON text once,
in bulk (timestamps from epoch seconds, ``adapters.timestamps.iso_json``; a float column's
distinct values once), and a column two curves share (the points' timestamps and bar
indices, the equity) once for both. The text is byte for byte ``json.dumps`` of the plain
document (compact, ``allow_nan=False``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from adapters._plain import float_list
from adapters.timestamps import iso_json, iso_utc

_DISTINCT_SHARE = 0.8
"""A float column with more distinct values than this share of its length is written value
by value (placing texts by index would cost more than it saves)."""


def dumps(value: Any) -> str:
    """Compact JSON of plain values; NaN and infinities are refused (results carry None)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


class Column:
    """One JSON array: ``values`` at ``points`` (every value when None). Columns of the same
    kind over the same arrays are one column to ``object_json``, written once."""

    __slots__ = ("base", "points")

    def __init__(self, base: np.ndarray, points: np.ndarray | None = None) -> None:
        self.base = base
        self.points = points

    def values(self) -> np.ndarray:
        """The column's values as an array."""
        base = np.asarray(self.base)
        return base if self.points is None else base[self.points]

    def key(self) -> tuple:
        """What identifies the column's text while the arrays live."""
        return type(self), id(self.base), id(self.points)

    def tolist(self) -> list:
        """The column as the list a plain document holds."""
        return self.values().tolist()

    def json(self) -> str:
        """The column's JSON array text."""
        return dumps(self.tolist())


class FloatColumn(Column):
    """Numbers as floats, None where not finite (``adapters._plain.float_list``). Its JSON
    writes each distinct value once (a curve repeats its values: cash between trades,
    prices in cents) and places the texts by index; a column of mostly distinct values
    is written as it is."""

    __slots__ = ()

    def tolist(self) -> list:
        return float_list(self.values())

    def json(self) -> str:
        values = np.ascontiguousarray(self.values(), dtype=np.float64)
        if values.size < 2:
            return dumps(float_list(values))
        distinct, at = np.unique(values.view(np.int64), return_inverse=True)  # bits: -0.0 apart
        if distinct.size > _DISTINCT_SHARE * values.size:
            return dumps(float_list(values))
        texts = dumps(float_list(distinct.view(np.float64)))[1:-1].split(",")
        return "[" + ",".join(np.array(texts, dtype=object)[at].tolist()) + "]"


class TimeColumn(Column):
    """``datetime64`` moments as ISO-8601 UTC strings (``adapters.timestamps``)."""

    __slots__ = ()

    def tolist(self) -> list:
        return iso_utc(self.values())

    def json(self) -> str:
        return iso_json(self.values())


class Columns(Mapping[str, Any]):
    """A JSON object whose values are columns (``Column``) or plain values, in order: reads
    as the dict of lists it stands for (a column's list made on its first read, then kept)."""

    __slots__ = ("_items", "_lists")

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = dict(items)
        self._lists: dict[str, list] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._items[key]
        if not isinstance(value, Column):
            return value
        if key not in self._lists:
            self._lists[key] = value.tolist()
        return self._lists[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __or__(self, other: Mapping[str, Any]) -> Columns:
        items = other._items if isinstance(other, Columns) else other
        return Columns({**self._items, **items})

    def __repr__(self) -> str:
        return repr(self.plain())

    def plain(self) -> dict[str, Any]:
        """The dict of lists (a new dict, its lists the ones reads return)."""
        return {key: self[key] for key in self._items}

    def json(self, memo: dict | None = None) -> str:
        """The object's JSON text; ``memo`` keeps the columns written so far."""
        memo = {} if memo is None else memo
        return _object(self._items, memo)


def held(columns: Columns, columnar: bool) -> dict[str, Any] | Columns:
    """``columns`` as they are (``columnar``), or as the plain dict of lists they stand for:
    what an adapter that builds them returns."""
    return columns if columnar else columns.plain()


def plain(value: Any) -> Any:
    """``value`` with its ``Columns`` (at any depth of dicts) as plain dicts of lists."""
    if isinstance(value, Columns):
        return value.plain()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def object_json(document: Mapping[str, Any]) -> str:
    """``dumps(plain(document))``, written in one pass: each column's text once."""
    return _object(document, {})


def _object(items: Mapping[str, Any], memo: dict) -> str:
    return (
        "{" + ",".join(f"{dumps(key)}:{_value(value, memo)}" for key, value in items.items()) + "}"
    )


def _value(value: Any, memo: dict) -> str:
    if isinstance(value, Column):
        key = value.key()
        if key not in memo:
            memo[key] = (value, value.json())  # the value kept: its arrays' ids stay unique
        return memo[key][1]
    if isinstance(value, Columns):
        return value.json(memo)
    if isinstance(value, dict) and any(isinstance(v, Columns | Column) for v in value.values()):
        return _object(value, memo)
    return dumps(value)
