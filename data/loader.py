"""Read an OHLCV CSV file into ``engine.Bars`` (csv + numpy only: no pandas at run time).

Accepted layouts, unchanged as users have them:

* Yahoo Finance: ``Date,Open,High,Low,Close,Adj Close,Volume``. ``Close`` is used;
  ``Adj Close`` is accepted and ignored (prices are not dividend/split adjusted).
* Any capitalisation and ``_``/space variants of those names (``date,open,...``,
  ``adj_close``); the date column may be called Date, Datetime, Timestamp or Time.
* An unnamed first date column (``,Open,High,Low,Close,Volume``, as pandas writes an
  index; backtesting.py's GOOG.csv), also ``Unnamed: 0``.

Dates are ISO 8601: ``YYYY-MM-DD`` or a datetime with or without an offset
(``2024-01-02T00:00:00-05:00``, ``...Z``). Bars are daily: a date D becomes D 21:00:00 UTC;
a datetime with an offset is converted to UTC and its UTC date is stamped 21:00; a datetime
without an offset is taken as UTC. Then ``data.quality`` checks every row.
"""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, date, datetime

import numpy as np

from data.errors import DataQualityError
from data.quality import check_columns
from engine import Bars

BAR_HOUR_UTC = 21
"""Daily bars are stamped at this hour (UTC), after the US close."""

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_CANONICAL = {
    "date": "Date",
    "datetime": "Date",
    "timestamp": "Date",
    "time": "Date",
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "adj close": "Adj Close",
    "adjclose": "Adj Close",
    "volume": "Volume",
}
"""Normalised header text -> canonical column name."""

REQUIRED_COLUMNS = ("Date", "Open", "High", "Low", "Close", "Volume")
"""Columns every file must have (``Adj Close`` is optional and ignored)."""

_UNNAMED_FIRST = ("", "unnamed: 0")
"""Header texts of an unnamed first column, which is then the date column."""

_SPACES = re.compile(r"[\s_]+")


def _show(cell: str) -> str:
    """A cell for an error message: quoted and cut to 30 characters."""
    return repr(cell if len(cell) <= 30 else cell[:27] + "...")


def _columns(header: list[str]) -> dict[str, int]:
    """Map canonical column names to their index in ``header`` (line 1)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _SPACES.sub(" ", cell.strip().lstrip("\ufeff")).lower()
        name = "Date" if index == 0 and key in _UNNAMED_FIRST else _CANONICAL.get(key)
        if name is None:
            raise DataQualityError(
                1,
                f"unknown column {_show(cell)}; expected Date, Open, High, Low, Close, Volume "
                "(Adj Close is accepted and ignored)",
            )
        if name in found:
            raise DataQualityError(1, f"column {name} appears twice")
        found[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise DataQualityError(1, f"missing column(s): {', '.join(missing)}")
    return found


def _day(text: str) -> int:
    """Days since 1970-01-01 of an ISO date or datetime (UTC date if it has an offset)."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text).toordinal() - _EPOCH_ORDINAL
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.toordinal() - _EPOCH_ORDINAL


def _days(cells: tuple[str, ...], lines: list[int]) -> np.ndarray:
    """Days since 1970-01-01 of every date cell (numpy fast path for plain YYYY-MM-DD)."""
    if all(len(cell) == 10 and cell[4] == "-" for cell in cells):
        try:
            return np.array(cells, dtype="datetime64[D]").astype(np.int64)
        except ValueError:
            pass  # the row-by-row parse below names the bad row
    days = np.empty(len(cells), dtype=np.int64)
    for i, cell in enumerate(cells):
        try:
            days[i] = _day(cell)
        except ValueError:
            raise DataQualityError(
                lines[i],
                f"Date {_show(cell)} is not an ISO date (YYYY-MM-DD) or datetime "
                "(YYYY-MM-DDTHH:MM:SS, optional offset)",
            ) from None
    return days


def _numbers(cells: tuple[str, ...], name: str, lines: list[int]) -> np.ndarray:
    """The cells of column ``name`` as floats; a cell that is not a number names its row."""
    try:
        return np.array(cells, dtype=np.float64)
    except ValueError:
        pass
    values = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        try:
            values[i] = float(cell)
        except ValueError:
            problem = "is empty" if not cell.strip() else f"{_show(cell)} is not a number"
            raise DataQualityError(lines[i], f"{name} {problem}") from None
    return values


def _decode(raw: bytes | str) -> str:
    """Text without a BOM; bytes must be UTF-8 (the error names the line of a bad byte)."""
    if isinstance(raw, str):
        return raw.lstrip("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataQualityError(line, "the file is not UTF-8 text") from None


def parse_bars(raw: bytes | str) -> Bars:
    """Parse CSV text (or its UTF-8 bytes) into daily ``Bars``, checking every row.

    :raise DataQualityError: naming the 1-based line of the first problem.
    """
    reader = csv.reader(io.StringIO(_decode(raw), newline=""))
    header = next(reader, None)
    while header is not None and not header:
        header = next(reader, None)
    if header is None:
        raise DataQualityError(1, "the file is empty (expected a header line)")
    header_line = reader.line_num
    index = _columns(header)
    width = len(header)
    names = {k: name for name, k in index.items()}
    rows: list[list[str]] = []
    lines: list[int] = []
    for record in reader:
        if not record:
            continue
        line = reader.line_num
        if len(record) != width:
            raise DataQualityError(line, f"expected {width} cells, found {len(record)}")
        if "" in record:
            raise DataQualityError(line, f"{names[record.index('')]} is empty")
        rows.append(record)
        lines.append(line)
    if not rows:
        raise DataQualityError(header_line + 1, "no data rows after the header")

    cells = list(zip(*rows, strict=True))
    days = _days(cells[index["Date"]], lines)
    columns = {name: _numbers(cells[index[name]], name, lines) for name in REQUIRED_COLUMNS[1:]}
    check_columns(days, columns, lines)
    stamps = (days * 86_400 + BAR_HOUR_UTC * 3_600).astype("datetime64[s]")
    return Bars(stamps, *(columns[name] for name in REQUIRED_COLUMNS[1:]))


def load_bars(path: str | os.PathLike[str]) -> Bars:
    """Load and check an OHLCV CSV file (layouts: see the module docstring).

    :raise DataQualityError: naming the 1-based line of the first problem.
    :raise FileNotFoundError: if there is no such file.
    """
    with open(path, "rb") as handle:
        return parse_bars(handle.read())
