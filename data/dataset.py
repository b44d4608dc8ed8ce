"""Load one ticker's bars over an inclusive date range, with the hash of its file.

This is what a run calls: ticker -> catalog -> file -> checked bars -> date filter. The file
is read once; ``data_hash`` is the SHA-256 of its bytes (the whole file, not just the range),
recorded with every result so a result can be tied to the exact data it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from data.catalog import load_catalog
from data.errors import EmptyRangeError
from data.files import bytes_sha256
from data.loader import parse_bars
from engine import Bars


@dataclass(frozen=True, eq=False)
class LoadedData:
    """Bars of ``ticker`` in the requested range, read from ``path`` whose bytes hash to
    ``data_hash`` (SHA-256 hex)."""

    bars: Bars
    data_hash: str
    ticker: str
    path: Path


def _as_date(value: date, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value


@dataclass(frozen=True, eq=False)
class History:
    """Every bar of ``ticker``'s file, the index window ``[start, stop)`` of the requested
    dates inside them, and the file's SHA-256. Runs compute indicators on the bars before
    ``start`` too (warm-up), then trade only inside the window."""

    bars: Bars
    start: int
    stop: int
    data_hash: str
    ticker: str
    path: Path


def bar_window(bars: Bars, start: date, end: date) -> tuple[int, int]:
    """Indices ``[first, stop)`` of the bars whose (UTC) date lies in ``[start, end]``."""
    days = bars.timestamps.astype("datetime64[D]")
    first = int(np.searchsorted(days, np.datetime64(start, "D"), side="left"))
    stop = int(np.searchsorted(days, np.datetime64(end, "D"), side="right"))
    return first, max(first, stop)


def select_range(bars: Bars, start: date, end: date) -> Bars:
    """The bars whose (UTC) date lies in ``[start, end]``, both inclusive; may be empty."""
    return bars.slice(*bar_window(bars, start, end))


_PARSED: dict[tuple[str, int, int], tuple[Bars, str]] = {}
_PARSED_MAX = 64


def _parsed(path: Path) -> tuple[Bars, str]:
    """The checked bars and SHA-256 of ``path``, parsed once per (path, mtime, size).

    A long-lived process (the web validates every submit against the data) reads a file
    again only when it changed; a one-shot consumer parses it once anyway. The key holds
    the modification time in ns and the size, so a re-imported file is read afresh, and
    the hash is always that of the bytes the bars came from.
    """
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        raw = path.read_bytes()
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        bars = parse_bars(raw)
        for column in (bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume):
            column.flags.writeable = False  # shared by every caller: nobody may change it
        _PARSED[key] = (bars, bytes_sha256(raw))
    return _PARSED[key]


def load_history(
    ticker: str, start: date, end: date, data_dir: str | Path | None = None
) -> History:
    """Resolve ``ticker`` through the catalog of ``data_dir`` (default: ``data_dir()``),
    load and check its whole file (read once), and find the bars dated ``start`` .. ``end``.

    :raise UnknownTickerError: the ticker is malformed or not in the catalog (no file read).
    :raise DataQualityError: the file fails a check (``row`` names the line).
    :raise EmptyRangeError: no bar falls in the range (or ``start`` is after ``end``).
    """
    path = load_catalog(data_dir).resolve(ticker)
    start = _as_date(start, "start")
    end = _as_date(end, "end")
    if start > end:
        raise EmptyRangeError(f"the start date {start} is after the end date {end}")
    bars, data_hash = _parsed(path)
    first, stop = bar_window(bars, start, end)
    if first == stop:
        first_day, last_day = _days(bars)
        raise EmptyRangeError(
            f"no {ticker} bars between {start} and {end}; the data covers {first_day} to {last_day}"
        )
    return History(bars, first, stop, data_hash, ticker, path)


def _days(bars: Bars) -> tuple[str, str]:
    return tuple(str(bars.timestamps[i].astype("datetime64[D]")) for i in (0, -1))


def date_range(ticker: str, data_dir: str | Path | None = None) -> tuple[str, str]:
    """The dates (YYYY-MM-DD) of the first and the last bar of ``ticker``'s file, read
    through the same per-file cache as ``load_history`` (the form shows them and keeps its
    default dates inside them).

    :raise UnknownTickerError: the ticker is not in the catalog.
    :raise DataQualityError: the file fails a check.
    """
    path = load_catalog(data_dir).resolve(ticker)
    stat = path.stat()
    return _file_days(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _file_days(path: str, _mtime_ns: int, _size: int) -> tuple[str, str]:
    """``date_range`` per file version: the forms ask for every ticker on every render, and
    a catalog larger than the bars cache (``_PARSED_MAX``) must not be parsed each time."""
    return _days(_parsed(Path(path))[0])


def load_range(
    ticker: str, start: date, end: date, data_dir: str | Path | None = None
) -> LoadedData:
    """The bars of ``ticker`` dated ``start`` .. ``end`` inclusive (see ``load_history``)."""
    history = load_history(ticker, start, end, data_dir)
    return LoadedData(
        bars=history.bars.slice(history.start, history.stop),
        data_hash=history.data_hash,
        ticker=ticker,
        path=history.path,
    )
