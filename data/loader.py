"""Read an OHLCV CSV file into ``engine.Bars`` (csv + numpy only: no pandas at run time).

Accepted layouts, unchanged as users have them:

* Yahoo Finance: ``Date,Open,High,Low,Close,Adj Close,Volume``. ``Close`` is used;
  ``Adj Close`` is accepted and ignored (prices are not dividend/split adjusted).
* Any capitalisation and ``_``/space variants of those names (``date,open,...``,
  ``adj_close``); the date column may be called Date, Datetime, Timestamp or Time.
* An unnamed first date column (``,Open,High,Low,Close,Volume``, as pandas writes an
  index; backtesting.py's GOOG.csv), also ``Unnamed: 0``.

Dates are ISO 8601: ``YYYY-MM-DD`` or a datetime with or without an offset
(``2024-01-02T00:00:00-05:00``, ``...Z``); a datetime with an offset is converted to UTC, one
without is taken as UTC. The bar spacing is detected (``data.timeframe``): daily bars (one
per date) are stamped at their UTC date 21:00:00; hourly and 5-minute bars keep their UTC
time; any other spacing is refused naming what was seen. Then ``data.quality`` checks every
row (unique dates for daily bars, unique timestamps at least one bar apart for intraday).
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from data.errors import DataQualityError
from data.quality import check_columns
from data.timeframe import DAILY, TIMEFRAME_SECONDS, detect_timeframe, unsupported_message
from engine import Bars

BAR_HOUR_UTC = 21
"""Daily bars are stamped at this hour (UTC), after the US close."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86_400

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


def canonical_column(cell: str, index: int) -> str | None:
    """The canonical name of header cell ``cell`` at column ``index`` (None: unknown)."""
    key = _SPACES.sub(" ", cell.strip().lstrip("\ufeff")).lower()
    return "Date" if index == 0 and key in _UNNAMED_FIRST else _CANONICAL.get(key)


def _columns(header: list[str]) -> dict[str, int]:
    """Map canonical column names to their index in ``header`` (line 1)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = canonical_column(cell, index)
        if name is None:
            raise DataQualityError(1, _unknown_column(cell))
        if name in found:
            raise DataQualityError(1, f"column {name} appears twice")
        found[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise DataQualityError(1, f"missing column(s): {', '.join(missing)}")
    return found


def _unknown_column(cell: str) -> str:
    """The message for a header cell the loader does not know; a cell holding ``;``, a
    tab or ``|`` says the file is separated by it (``python -m data.import_csv`` reads such
    files)."""
    message = (
        f"unknown column {_show(cell)}; expected Date, Open, High, Low, Close, Volume "
        "(Adj Close is accepted and ignored)"
    )
    for mark, name in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
        if mark in cell:
            return (
                f"{message}; the header is separated by {name}, not commas: import the file "
                "with python -m data.import_csv, which reads that layout"
            )
    return message


def _second(text: str) -> int:
    """Seconds since 1970-01-01 UTC of an ISO date (its midnight) or datetime."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(seconds=1)


def _plain_iso(cell: str) -> bool:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD[T ]HH:MM:SS`` without an offset (numpy parses these)."""
    if len(cell) == 10:
        return cell[4] == "-"
    return len(cell) == 19 and cell[4] == "-" and cell[10] in "T " and cell[13] == cell[16] == ":"


def _seconds(cells: tuple[str, ...], lines: list[int]) -> np.ndarray:
    """UTC epoch seconds of every date cell (numpy fast path for plain YYYY-MM-DD and
    YYYY-MM-DD[T ]HH:MM:SS without an offset)."""
    if all(_plain_iso(cell) for cell in cells):
        try:
            return np.array(cells, dtype="datetime64[s]").astype(np.int64)
        except ValueError:
            pass  # the row-by-row parse below names the bad row
    seconds = np.empty(len(cells), dtype=np.int64)
    for i, cell in enumerate(cells):
        try:
            seconds[i] = _second(cell)
        except ValueError:
            raise DataQualityError(
                lines[i],
                f"Date {_show(cell)} is not an ISO date (YYYY-MM-DD) or datetime "
                "(YYYY-MM-DDTHH:MM:SS, optional offset)",
            ) from None
    return seconds


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


@dataclass(frozen=True, eq=False)
class Series:
    """Checked bars and the timeframe detected from their spacing (``data.timeframe``)."""

    bars: Bars
    timeframe: str


def parse_bars(raw: bytes | str) -> Bars:
    """Parse CSV text (or its UTF-8 bytes) into ``Bars``, checking every row.

    :raise DataQualityError: naming the 1-based line of the first problem.
    """
    return parse_series(raw).bars


def parse_series(raw: bytes | str) -> Series:
    """Parse CSV text (or its UTF-8 bytes) into checked ``Bars`` and their timeframe.

    :raise DataQualityError: naming the 1-based line of the first problem, or the first
        data line when the bar spacing is not a supported timeframe.
    """
    header, cells, lines = _table(_decode(raw))
    index = _columns(header)
    seconds = _seconds(cells[index["Date"]], lines)
    columns = {name: _numbers(cells[index[name]], name, lines) for name in REQUIRED_COLUMNS[1:]}
    timeframe = detect_timeframe(seconds)
    if timeframe is None:
        raise DataQualityError(lines[0], unsupported_message(seconds))
    if timeframe == DAILY:
        days = seconds // _DAY
        check_columns(days, columns, lines)
        stamps = (days * _DAY + BAR_HOUR_UTC * 3_600).astype("datetime64[s]")
    else:
        check_columns(seconds, columns, lines, step=TIMEFRAME_SECONDS[timeframe])
        stamps = seconds.astype("datetime64[s]")
    bars = Bars(stamps, *(columns[name] for name in REQUIRED_COLUMNS[1:]))
    return Series(bars, timeframe)


def parse_adjusted_close(raw: bytes | str) -> tuple[np.ndarray, list[int]] | None:
    """The ``Adj Close`` column of CSV text (None when it has none) and each row's line, in
    the rows' order (the order of ``parse_series``'s bars for a file it accepts).

    :raise DataQualityError: naming the line of a cell that is not a number.
    """
    text = _decode(raw)
    if "adj" not in text.lstrip().partition("\n")[0].lower():
        return None  # no Adj Close in the header: the rows need no second reading
    header, cells, lines = _table(text)
    index = _columns(header)
    if "Adj Close" not in index:
        return None
    return _numbers(cells[index["Adj Close"]], "Adj Close", lines), lines


def _table(text: str) -> tuple[list[str], list[tuple[str, ...]], list[int]]:
    """(header, the data cells column by column, each data row's line) of CSV
    text, every row as wide as the header and no cell empty.

    A text without quotes or lone carriage returns is split with string methods, column
    by column (the records ``csv.reader`` gives it, several times faster on a long file);
    any other text, or one that fails a check, goes through ``csv.reader``, which names
    the line of the problem.

    :raise DataQualityError: naming the 1-based line of the first problem.
    """
    if '"' not in text:
        plain = text.replace("\r\n", "\n")
        if "\r" not in plain:
            split = plain.split("\n")
            numbered = [(number, line) for number, line in enumerate(split, 1) if line]
            if len(numbered) > 1:
                header = numbered[0][1].split(",")
                width = len(header)
                body = [line for _, line in numbered[1:]]
                flat = ",".join(body).split(",")
                if len(flat) == width * len(body) and "" not in flat:
                    columns = [tuple(flat[k::width]) for k in range(width)]
                    if all(line.count(",") == width - 1 for line in body):
                        return header, columns, [n for n, _ in numbered[1:]]
    return _table_csv(text)


def _table_csv(text: str) -> tuple[list[str], list[tuple[str, ...]], list[int]]:
    """``_table`` by ``csv.reader``, row by row."""
    reader = csv.reader(io.StringIO(text, newline=""))
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
    return header, list(zip(*rows, strict=True)), lines


def load_bars(path: str | os.PathLike[str]) -> Bars:
    """Load and check an OHLCV CSV file (layouts: see the module docstring).

    :raise DataQualityError: naming the 1-based line of the first problem.
    :raise FileNotFoundError: if there is no such file.
    """
    with open(path, "rb") as handle:
        return parse_bars(handle.read())
