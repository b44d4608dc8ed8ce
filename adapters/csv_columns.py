"""Columns of values as CSV lines, formatted a column at a time with numpy: byte for byte
what ``csv.writer(…, lineterminator="\\n").writerow(adapters.cells.csv_row(row))`` writes
for each row, at a few per cent of its CPU (a sweep chunk's CSV part, ``kinds.sweeps.export``:
50,000 rows of 14 cells).

Each column becomes a block of fixed-width byte fields, padded with NUL bytes, the blocks are
laid side by side with the commas and newlines, and the NULs are deleted at once
(``bytes.translate``). How a column is formatted:

- floats (a float array, or Python floats and ``None``): a finite value whose cell has at
  most 15 significant digits and 1e-4 ≤ |cell| < 1e5 (or is 0) is written from integers:
  ``round(x, 10)`` is the integer nearest to x·10¹⁰ (computed from |x|·10¹⁰, whose rounding
  error is below one unit in its last place; a value whose fraction lies within that of
  one half is not written here), and ``repr`` of the float nearest to a decimal of at most
  15 significant digits is that decimal without its trailing zeros (no shorter decimal
  names the same float: DBL_DIG is 15). Any other finite value is ``csv_cell``'s own
  ``repr``, one at a time; a NaN, an infinity or ``None`` is an empty cell;
- integers (an integer array, or Python ints within int64): their decimal digits;
- anything else: each distinct value once through ``csv.writer`` (its quoting included);
- a ``Coded`` column (its distinct values and, per row, an index into them): its values
  formatted once each as a column of their own, then taken row by row.

Pure functions: no I/O.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.cells import csv_cell

GROUP = 5
"""Decimal digits looked up at once: a table of 10⁵ words (``_tables``)."""

SPAN = 10**GROUP

WORD = np.dtype("<u8")
"""A field is a run of 8-byte words, little-endian whatever the machine (a shift by 8 moves
every byte one place on), NUL where it holds nothing."""

POWERS = 10 ** np.arange(19, dtype=np.int64)
"""10⁰ … 10¹⁸: how many digits an int64 magnitude has (``np.searchsorted``)."""

FAST_BELOW = 1e5
"""The largest |value| (exclusive) a float is written from integers: 5 digits before the
point and 10 after are 15 significant digits."""

SMALLEST = 10**6
"""The smallest non-zero |round(x, 10)|·10¹⁰ written from integers: 1e-4 (``repr`` writes a
smaller number with an exponent)."""

ROWS_AT_ONCE = 2048
"""Rows laid out and stripped of their padding at a time: their words (a few hundred bytes a
row) stay in the processor's cache while they are written and read."""

COMMA, NEWLINE, MINUS, POINT, ZERO = (ord(c) for c in ",\n-.0")

PLAIN = (str, int, float, bool, type(None))
"""Types whose equal values (of one type) have the same cell: a column of them is written
one distinct value at a time."""


@dataclass(frozen=True)
class Coded:
    """A column given as its distinct values (``levels``) and each row's index into them
    (``codes``): written as the column of ``levels[codes[i]]``, each level formatted once."""

    levels: Sequence[Any]
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def tolist(self) -> list:
        """The column's values, row by row."""
        return [self.levels[i] for i in self.codes.tolist()]


Column = Sequence[Any] | np.ndarray | Coded
"""A column ``column_lines`` writes."""


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Words of v's 5 decimal digits for v < 10⁵: all of them, without leading zeros, and
    without trailing zeros (0: no digit in the last two)."""
    values = np.arange(SPAN, dtype=np.int64)[:, None]
    places = 10 ** np.arange(GROUP - 1, -1, -1, dtype=np.int64)
    digits = (values // places % 10).astype(np.uint8)
    nonzero = digits != 0
    ascii_digits = digits + np.uint8(ZERO)
    pad = np.zeros((SPAN, 8 - GROUP), np.uint8)

    def words(keep: np.ndarray) -> np.ndarray:
        kept = np.where(keep, ascii_digits, np.uint8(0))
        return np.concatenate([kept, pad], axis=1).view(WORD)[:, 0]

    leading = np.logical_or.accumulate(nonzero, axis=1)
    trailing = np.logical_or.accumulate(nonzero[:, ::-1], axis=1)[:, ::-1]
    return words(np.ones_like(nonzero)), words(leading), words(trailing)


def _packed(texts: list[bytes]) -> np.ndarray:
    """Texts as rows of words (NUL-padded to the longest)."""
    width = -(-max(map(len, texts), default=0) // 8) or 1
    joined = b"".join(text.ljust(8 * width, b"\0") for text in texts)
    return np.frombuffer(joined, WORD).reshape(len(texts), width)


Words = list[np.ndarray]
"""A column's fields as word columns: the k-th array holds every row's k-th word."""


def _integer_words(magnitudes: np.ndarray, start: np.ndarray) -> Words:
    """Each non-negative int64 in decimal: ``start`` (a separator and a sign, 2 bytes) then
    the digits, leading zeros dropped (0 is "0")."""
    full, lead, _ = _tables()
    groups = max(1, -(-len(str(int(magnitudes.max(initial=0)))) // GROUP))
    words = []
    for g in range(groups):
        above = magnitudes // SPAN ** (groups - 1 - g) if g < groups - 1 else magnitudes
        group = above % SPAN if g else above
        words.append(lead[group] if g == 0 else np.where(above >= SPAN, full[group], lead[group]))
    words[-1] = np.where(magnitudes == 0, np.uint64(ZERO), words[-1])
    words[0] = start | (words[0] << np.uint64(16))
    return words


def _start(separator: int, negative: np.ndarray) -> np.ndarray:
    """Each field's first two bytes: ``separator`` (0: none), then "-" where ``negative``."""
    return np.where(negative, np.uint64(separator | MINUS << 8), np.uint64(separator))


def _int_words(values: np.ndarray, separator: int) -> Words | None:
    """An int64 column's fields; None when one is int64's least (no magnitude)."""
    values = values.astype(np.int64, copy=False)
    if values.size and values.min() == np.iinfo(np.int64).min:
        return None
    return _integer_words(np.abs(values), _start(separator, values < 0))


def _float_words(values: np.ndarray, separator: int) -> Words:
    """A float column's fields: each value as ``csv_cell`` writes it (module docstring)."""
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(values)
    finite = np.isfinite(values)
    within = magnitude < FAST_BELOW
    scaled = np.where(within, magnitude, 0.0) * 1e10
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) <= np.spacing(scaled)
    rounded = np.rint(scaled).astype(np.int64)
    fast = within & ~near_half & ((rounded >= SMALLEST) | (rounded == 0))
    rounded[~fast] = 0
    units, fraction = np.divmod(rounded, 10**10)
    high, low = np.divmod(fraction, SPAN)
    full, _, trail = _tables()
    high_word = np.where(low == 0, trail[high], full[high])
    high_word[fraction == 0] = ZERO
    negative = (values < 0) & (rounded > 0)
    words = _integer_words(units, _start(separator, negative))
    words += [np.uint64(POINT) | (high_word << np.uint64(8)), trail[low]]
    words[-1][low == 0] = 0
    words = [
        np.where(finite, word, np.uint64(0 if k else separator)) for k, word in enumerate(words)
    ]
    slow = np.flatnonzero(finite & ~fast)
    if slow.size:
        sep = bytes([separator]) if separator else b""
        packed = _packed([sep + csv_cell(value).encode() for value in values[slow].tolist()])
        words += [np.zeros(len(values), WORD) for _ in range(packed.shape[1] - len(words))]
        for k, word in enumerate(words):
            word[slow] = packed[:, k] if k < packed.shape[1] else 0
    return words


def _cell_text(value: Any) -> bytes:
    """One cell as ``csv.writer`` writes ``csv_cell(value)`` in a row of several."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([csv_cell(value), ""])
    return buffer.getvalue()[:-2].encode()


def _text_words(values: Sequence[Any], separator: int) -> Words | None:
    """Any column's fields through ``csv.writer``, each distinct value once where they are
    plain; None when a cell holds a NUL byte (the padding)."""
    types = set(map(type, values))
    if len(types) == 1 and types <= set(PLAIN) and values.count(values[0]) == len(values):
        texts = [_cell_text(values[0])]
        index = np.zeros(len(values), np.int64)
    elif types <= set(PLAIN):
        keys = list(zip(map(type, values), values, strict=True))
        distinct = {key: at for at, key in enumerate(dict.fromkeys(keys))}
        texts = [_cell_text(value) for _, value in distinct]
        index = np.fromiter(map(distinct.__getitem__, keys), np.int64, len(keys))
    else:
        texts = [_cell_text(value) for value in values]
        index = np.arange(len(values))
    if any(b"\0" in text for text in texts):
        return None
    sep = bytes([separator]) if separator else b""
    return list(_packed([sep + text for text in texts])[index].T)


def _words(column: Column, separator: int) -> Words | None:
    """A column's fields, each led by ``separator``, or None when only ``csv.writer`` can
    write it."""
    if isinstance(column, Coded):
        levels = _words(list(column.levels), separator) if len(column.levels) else []
        if levels is None:
            return None
        return [word[column.codes] for word in levels] or [np.zeros(len(column), WORD)]
    if isinstance(column, np.ndarray):
        if column.dtype.kind == "f":
            return _float_words(column, separator)
        if column.dtype.kind == "i" or (column.dtype.kind == "u" and column.max(initial=0) < 2**63):
            return _int_words(column, separator)
        return _text_words(column.tolist(), separator)
    types = set(map(type, column))
    if types and types <= {float, type(None)}:
        return _float_words(np.array(column, dtype=np.float64), separator)
    if types == {int}:
        try:
            return _int_words(np.array(column, dtype=np.int64), separator)
        except OverflowError:
            pass
    return _text_words(column, separator)


def _written(columns: Sequence[Column]) -> bytes:
    """The rows through ``csv.writer`` itself."""
    plain = [c.tolist() if isinstance(c, np.ndarray | Coded) else c for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in zip(*plain, strict=True):
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode()


def column_lines(columns: Sequence[Column]) -> bytes:
    """Rows given as equal-length ``columns`` (row i: each column's i-th value; a numpy array,
    a ``Coded`` column or any sequence) as CSV lines, ``\\n``-terminated, UTF-8: the bytes
    ``csv.writer`` writes for ``adapters.cells.csv_row`` of each row."""
    count = len(columns[0]) if columns else 0
    if any(len(column) != count for column in columns):
        raise ValueError("the columns differ in length")
    if count == 0:
        return b""
    if len(columns) == 1:  # csv quotes a row of one empty cell
        return _written(columns)
    words: Words = []
    for at, column in enumerate(columns):
        field = _words(column, COMMA if at else 0)
        if field is None:
            return _written(columns)
        words += field
    pieces = []
    lines = np.empty((min(count, ROWS_AT_ONCE), len(words) + 1), WORD)
    lines[:, -1] = NEWLINE
    for first in range(0, count, ROWS_AT_ONCE):
        rows = min(ROWS_AT_ONCE, count - first)
        for k, word in enumerate(words):
            lines[:rows, k] = word[first : first + rows]
        pieces.append(lines[:rows].tobytes().translate(None, b"\0"))
    return b"".join(pieces)


__all__ = ["Coded", "column_lines"]
