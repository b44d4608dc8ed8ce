"""A result's columns held as numpy arrays until they are read or written.

A run's result is JSON of columns (curves of timestamps and numbers, signal times). Built as
Python lists, one timestamp string and one float object at a time, they cost more than the
backtest. Here a column stays an array (``Column``: the values at the curve's points) and
``Columns``, a curve, reads as the dict of lists it stands for (each list made on its first
read; an adapter returns that dict unless asked for the columns, ``held``), while
``object_json`` writes a document holding them in one pass: each column's JSON text once,
in bulk by orjson (``adapters.json_text``: floats, integers and timestamps from the arrays),
the other values through the same module, and a column two curves share (the points'
timestamps and bar indices, the equity) once for both. ``Rows``, a list of records (a
run's trades, its fills), is held the same way, one column per key, and written from each
column's text in one join, no dict per record. The text is byte for byte ``json.dumps`` of
the plain document (compact, ``allow_nan=False``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from adapters._plain import float_list
from adapters.json_text import dumps_bytes, float_array, int_array
from adapters.timestamps import iso_json_bytes, iso_utc


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

    def json(self) -> bytes:
        """The column's JSON array text (ASCII bytes)."""
        values = self.values()
        if values.dtype.kind in "biu":
            return int_array(values)
        return dumps_bytes(self.tolist())


class FloatColumn(Column):
    """Numbers as floats, None where not finite (``adapters._plain.float_list``), written
    from the array in one call (``adapters.json_text.float_array``)."""

    __slots__ = ()

    def tolist(self) -> list:
        return float_list(self.values())

    def json(self) -> bytes:
        return float_array(self.values())


class TimeColumn(Column):
    """``datetime64`` moments as ISO-8601 UTC strings (``adapters.timestamps``)."""

    __slots__ = ()

    def tolist(self) -> list:
        return iso_utc(self.values())

    def json(self) -> bytes:
        return iso_json_bytes(self.values())


class Columns(Mapping[str, Any]):
    """A JSON object whose values are columns (``Column``) or plain values, in order: reads
    as the dict of lists it stands for (a column's list made on its first read, then kept)."""

    __slots__ = ("_items", "_lists")

    def __init__(self, items: Mapping[str, Any]) -> None:
        self._items = dict(items)
        self._lists: dict[str, list] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._items[key]
        if not isinstance(value, Column | Rows):
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

    def json(self, memo: dict | None = None) -> bytes:
        """The object's JSON text (ASCII bytes); ``memo`` keeps the columns written so far."""
        parts: list[bytes] = []
        _object(self._items, {} if memo is None else memo, parts)
        return b"".join(parts)


class Rows(Sequence[dict]):
    """A JSON array of objects with the same keys, held as one column per key (a ``Column``
    or a list, all of one length): reads as the list of dicts it stands for (made on its
    first read, then kept) and equals that list; its JSON text is each column's text cut
    into its values and joined once with the keys between them."""

    __slots__ = ("_columns", "_list")

    def __init__(self, columns: Mapping[str, Column | list]) -> None:
        self._columns = dict(columns)
        self._list: list[dict] | None = None

    def __len__(self) -> int:
        column = next(iter(self._columns.values()), [])
        return column.values().size if isinstance(column, Column) else len(column)

    @overload
    def __getitem__(self, index: int) -> dict: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict]: ...
    def __getitem__(self, index: int | slice) -> dict | list[dict]:
        return self.tolist()[index]

    def __eq__(self, other: object) -> bool:
        return self.tolist() == (other.tolist() if isinstance(other, Rows) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.tolist())

    def column(self, key: str) -> Column | list:
        """The column held for ``key``."""
        return self._columns[key]

    def with_column(self, key: str, column: Column | list) -> Rows:
        """These rows with ``column`` as ``key`` (in its place when held, else last), as
        ``[{**row, key: value} ...]`` gives them: no dict made."""
        return Rows({**self._columns, key: column})

    def tolist(self) -> list[dict]:
        """The list of dicts (the same list on every call)."""
        if self._list is None:
            keys = tuple(self._columns)
            lists = [_listed(column) for column in self._columns.values()]
            self._list = [dict(zip(keys, row, strict=True)) for row in zip(*lists, strict=True)]
        return self._list

    def json(self) -> bytes:
        """The array's JSON text (ASCII bytes)."""
        n = len(self)
        if not n:
            return b"[]"
        width = 2 * len(self._columns)
        cells: list[str] = [""] * (n * width)  # str: joined ~3x faster than bytes
        for at, (key, column) in enumerate(self._columns.items()):
            cells[2 * at :: width] = [("," if at else "},{") + dumps_bytes(key).decode() + ":"] * n
            cells[2 * at + 1 :: width] = _texts(column)
        cells[0] = "[{" + cells[0][3:]
        cells.append("}]")
        return "".join(cells).encode("ascii")


def field_array(records: Sequence[dict], key: str, dtype: type = np.float64) -> np.ndarray:
    """The ``key`` of every record as one array, as ``np.array([r[key] for r in records],
    dtype)`` gives it (a float column's None, a value not finite, read as NaN): from the
    column a ``Rows`` holds, no dict made."""
    if not isinstance(records, Rows):
        return np.array([record[key] for record in records], dtype=dtype)
    column = records.column(key)
    if not isinstance(column, Column):
        return np.array(column, dtype=dtype)
    values = column.values().astype(dtype)
    if isinstance(column, FloatColumn):
        values[~np.isfinite(values)] = np.nan  # float_list's None
    return values


def _listed(column: Column | list) -> list:
    return column.tolist() if isinstance(column, Column) else column


def _texts(column: Column | list) -> list[str]:
    """The JSON text of each value of a ``Rows`` column: a ``Column``'s array text cut at
    its commas (numbers, ``null``, ``true``/``false`` and timestamps hold none), a list's
    values each written once."""
    if isinstance(column, Column):
        text = column.json().decode("ascii")
        return text[1:-1].split(",") if len(text) > 2 else []
    written = dict.fromkeys(column, "")
    if not all(type(value) is str for value in written):  # True and 1 are one key
        return [dumps_bytes(value).decode("ascii") for value in column]
    for value in written:
        written[value] = dumps_bytes(value).decode("ascii")
    return list(map(written.__getitem__, column))


def held(columns: Columns, columnar: bool) -> dict[str, Any] | Columns:
    """``columns`` as they are (``columnar``), or as the plain dict of lists they stand for:
    what an adapter that builds them returns."""
    return columns if columnar else columns.plain()


def plain(value: Any) -> Any:
    """``value`` with its ``Columns`` (at any depth of dicts) as plain dicts of lists."""
    if isinstance(value, Columns):
        return value.plain()
    if isinstance(value, Rows):
        return value.tolist()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def object_json(document: Mapping[str, Any]) -> str:
    """``dumps(plain(document))``, written in one pass: each column's text once, every text
    joined once."""
    parts: list[bytes] = []
    _object(document, {}, parts)
    return b"".join(parts).decode("ascii")


def _object(items: Mapping[str, Any], memo: dict, parts: list[bytes]) -> None:
    """Append the JSON text of the object ``items`` to ``parts``."""
    separator = b"{"
    for key, value in items.items():
        parts += (separator, dumps_bytes(key), b":")
        separator = b","
        _value(value, memo, parts)
    parts.append(b"}" if separator == b"," else b"{}")


def _value(value: Any, memo: dict, parts: list[bytes]) -> None:
    """Append the JSON text of ``value`` to ``parts``."""
    if isinstance(value, Column):
        key = value.key()
        if key not in memo:
            memo[key] = (value, value.json())  # the value kept: its arrays' ids stay unique
        parts.append(memo[key][1])
    elif isinstance(value, Columns):
        _object(value._items, memo, parts)  # the columns as held, not their lists
    elif isinstance(value, Rows):
        parts.append(value.json())
    elif isinstance(value, dict) and any(
        isinstance(v, Columns | Column | Rows) for v in value.values()
    ):
        _object(value, memo, parts)
    else:
        parts.append(dumps_bytes(value))
