"""The layout of a user's CSV file before it is checked: its delimiter and its row order.

Files from spreadsheets and brokers come as ``Date;Open;…`` (often with decimal commas) or
tab-separated, and many are newest first. The loader reads one layout only (comma-separated,
oldest first, ``data.loader``), so an import brings a file into that layout first:

* ``delimiter_of`` reads the header line and names the delimiter that splits it into the
  loader's columns (``,``, ``;``, tab or ``|``); a header none of them splits is left to the
  loader, whose message names the unknown column.
* ``to_canonical`` rewrites a file as the loader's layout: comma-separated, decimal commas
  of a ``;`` file made points, and with ``newest_first_ok`` rows in ascending date order
  (``--sort``). A comma-separated file that needs no sorting is returned unchanged, byte
  for byte, so its ``data_hash`` stays the user's file's.

Pure functions over text; ``data.register`` applies them before its checks.
"""

from __future__ import annotations

import csv
import io
import re

from data.errors import DataQualityError
from data.loader import REQUIRED_COLUMNS, canonical_column

DELIMITERS = (",", ";", "\t", "|")
"""Delimiters an import recognises, in the order they are tried."""

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def delimiter_of(text: str) -> str:
    """The delimiter that splits the header line of ``text`` into every required column
    (``,`` when none does: the loader then names what it does not know)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    for delimiter in DELIMITERS:
        cells = [canonical_column(cell, at) for at, cell in enumerate(header.split(delimiter))]
        if all(name in cells for name in REQUIRED_COLUMNS):
            return delimiter
    return ","


def _number(cell: str, delimiter: str, line: int) -> str:
    """A price or volume cell in the loader's notation: a ``;`` file's decimal comma
    becomes a point (``12,5`` → ``12.5``)."""
    if delimiter == ";" and "," in cell:
        if not _DECIMAL_COMMA.match(cell.strip()):
            raise DataQualityError(
                line, f"{cell[:30]!r} is not a number (decimal comma with no thousands marks)"
            )
        return cell.replace(",", ".")
    return cell


def _row(row: list[str], date_at: int, delimiter: str, line: int) -> list[str]:
    """A data row with its number cells in the loader's notation."""
    return [
        cell if at == date_at else _number(cell, delimiter, line) for at, cell in enumerate(row)
    ]


def to_canonical(raw: bytes, *, sort: bool = False) -> bytes:
    """``raw`` in the loader's layout (module docstring): the same bytes for a
    comma-separated file when ``sort`` is off, else the rewritten UTF-8 text.

    :raise DataQualityError: naming the line of a cell that cannot be rewritten.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw  # the loader names the line of the bad byte
    delimiter = delimiter_of(text)
    if delimiter == "," and not sort:
        return raw
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(reader.line_num, row) for row in reader if row]
    if not rows:
        return raw
    (_, header), body = rows[0], rows[1:]
    date_at = next(
        (at for at, cell in enumerate(header) if canonical_column(cell, at) == "Date"), 0
    )
    body = [(line, _row(row, date_at, delimiter, line)) for line, row in body]
    if sort:  # ISO dates and datetimes of one offset sort as text; the loader checks the rest
        body.sort(key=lambda numbered: numbered[1][date_at].strip() if numbered[1] else "")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(row for _, row in body)
    return out.getvalue().encode("utf-8")


__all__ = ["DELIMITERS", "delimiter_of", "to_canonical"]
