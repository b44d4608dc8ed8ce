"""Load one ticker's bars over an inclusive date range, with the hash of its file.

This is what a run calls: ticker -> catalog -> file -> checked bars -> date filter. The file
is read once; ``data_hash`` is the SHA-256 of its bytes (the whole file, not just the range),
recorded with every result so a result can be tied to the exact data it used. A ticker whose
entry names an events file (``data.events``) gets its events with the bars, and its
``data_hash`` covers both (``data.events.combined_hash``); one without keeps its CSV's hash.

Range bounds are dates or datetimes (UTC). A date means the whole day: a date start from
00:00, a date end through 23:59:59. A datetime is an instant for intraday tickers; for a
daily ticker it counts as its date (a daily bar stands for the whole day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from data.adjust import RAW, adjusted, check_events
from data.bars_cache import read_copy, write_copy
from data.catalog import Catalog, TickerInfo, load_catalog
from data.errors import DataQualityError, EmptyRangeError
from data.events import NO_EVENTS, Events, combined_hash, parse_events
from data.files import bytes_sha256
from data.loader import parse_series
from data.timeframe import DAILY
from engine import TRADING_DAYS, Bars

if TYPE_CHECKING:  # a run's Job reads no membership file: data.membership loads on first use
    from data.membership import Membership


@dataclass(frozen=True, eq=False)
class LoadedData:
    """Bars of ``ticker`` in the requested range, read from ``path`` whose bytes hash to
    ``data_hash`` (SHA-256 hex)."""

    bars: Bars
    data_hash: str
    ticker: str
    path: Path
    events: Events = NO_EVENTS
    """Every event of the ticker's events file (not only those in the range)."""


def _bound(value: date, name: str, daily: bool) -> date:
    """A range bound as used: a date, or (intraday only) a naive UTC datetime."""
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    if isinstance(value, datetime):
        if daily:
            return value.date()
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _instant(value: date, end: bool) -> np.datetime64:
    """The first second of a range (``end`` False) or the first second after it."""
    if isinstance(value, datetime):
        return np.datetime64(value, "s") + (1 if end else 0)
    return (np.datetime64(value, "D") + (1 if end else 0)).astype("datetime64[s]")


@dataclass(frozen=True, eq=False)
class History:
    """Every bar of ``ticker``'s file, the index window ``[start, stop)`` of the requested
    dates inside them, and the file's SHA-256. Runs compute indicators on the bars before
    ``start`` too (warm-up), then trade only inside the window. ``info`` is the ticker's
    catalog entry (its timeframe and bars per year). ``events``: the ticker's corporate
    actions (``data.events``; none without an events file), which ``data_hash`` covers."""

    bars: Bars
    start: int
    stop: int
    data_hash: str
    ticker: str
    path: Path
    info: TickerInfo | None = None
    events: Events = NO_EVENTS
    signal_bars: Bars | None = None
    """``bars[:stop]`` as a run's indicators see them when it adjusts its prices
    (``with_adjustment``); None: as traded."""
    price_factor: np.ndarray | None = None
    """With ``signal_bars``: each of those bars' price factor (adjusted = traded × factor)."""

    def with_adjustment(self, adjustment: str) -> History:
        """This history with its bars up to the window's end adjusted by ``adjustment``
        (``data.adjust.ADJUSTMENTS``) as ``signal_bars``: back-adjusted as of the window's
        last bar, so an event after the window changes nothing. Itself for ``raw``."""
        if adjustment == RAW:
            return self
        bars, factor = adjusted(self.bars.slice(0, self.stop), self.events, adjustment)
        return replace(self, signal_bars=bars, price_factor=factor)

    def signal_history(self, start: int = 0) -> Bars:
        """The bars a run's signals are computed on, from bar ``start`` up to the window's
        end: ``signal_bars`` when it adjusts its prices, else the bars as traded."""
        bars = self.bars.slice(0, self.stop) if self.signal_bars is None else self.signal_bars
        return bars if start == 0 else bars.slice(start, len(bars))

    @property
    def timeframe(self) -> str:
        """The ticker's timeframe ("1d" without a catalog entry)."""
        return DAILY if self.info is None else self.info.timeframe

    @property
    def bars_per_year(self) -> float:
        """Bars per year for annualising (252 without a catalog entry)."""
        return float(TRADING_DAYS) if self.info is None else self.info.annual_bars


def bar_window(bars: Bars, start: date, end: date) -> tuple[int, int]:
    """Indices ``[first, stop)`` of the bars stamped in ``[start, end]`` (UTC): a date
    bound covers its whole day, a datetime bound is an instant (both inclusive)."""
    stamps = bars.timestamps
    first = int(np.searchsorted(stamps, _instant(start, end=False), side="left"))
    stop = int(np.searchsorted(stamps, _instant(end, end=True), side="left"))
    return first, max(first, stop)


def select_range(bars: Bars, start: date, end: date) -> Bars:
    """The bars stamped in ``[start, end]``, both inclusive (``bar_window``); may be empty."""
    return bars.slice(*bar_window(bars, start, end))


_PARSED: dict[tuple[str, int, int], tuple[Bars, str, str]] = {}
_PARSED_MAX = 64


_T = TypeVar("_T")


def _once(cache: dict[tuple[str, int, int], _T], path: Path, build: Callable[[bytes], _T]) -> _T:
    """``build(the bytes of path)``, built once per (path, mtime in ns, size) and kept in
    ``cache`` (the oldest of ``_PARSED_MAX`` entries dropped), so a changed file is read
    afresh."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in cache:
        raw = path.read_bytes()
        if len(cache) >= _PARSED_MAX:
            cache.pop(next(iter(cache)))
        cache[key] = build(raw)
    return cache[key]


def _parsed(path: Path) -> tuple[Bars, str, str]:
    """The checked bars and SHA-256 of ``path``, read once per (path, mtime, size).

    Returns (bars, SHA-256, detected timeframe). The bars come from the file's binary copy
    when it has an intact one, else from parsing it (which writes the copy:
    ``data.bars_cache``). A long-lived process (the web validates every submit against the
    data) reads a file again only when it changed; a one-shot consumer reads it once anyway.
    The key holds the modification time in ns and the size, so a re-imported file is read
    afresh, and the hash is always that of the bytes the bars came from (the copy is found
    by that hash, so a changed file never meets another version's copy).
    """
    return _once(_PARSED, path, _checked_bars)


def _checked_bars(raw: bytes) -> tuple[Bars, str, str]:
    """(bars, SHA-256, timeframe) of CSV bytes ``raw``, from their binary copy if intact."""
    data_hash = bytes_sha256(raw)
    series = read_copy(data_hash)
    if series is None:
        series = parse_series(raw)
        write_copy(data_hash, series)
    bars = series.bars
    for column in (bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume):
        column.flags.writeable = False  # shared by every caller: nobody may change it
    return bars, data_hash, series.timeframe


_EVENTS: dict[tuple[str, int, int], tuple[Events, bytes]] = {}


def _parsed_events(path: Path) -> tuple[Events, bytes]:
    """The events of the events file at ``path`` and its bytes, read once per (path,
    mtime, size) like ``_parsed``.

    :raise EventsError: naming the file and line of a problem.
    """
    return _once(_EVENTS, path, lambda raw: (parse_events(raw, path.name), raw))


_MEMBERS: dict[tuple[str, int, int], tuple[Membership, str]] = {}


def load_membership(
    index: str, data_dir: str | Path | None = None, catalog: Catalog | None = None
) -> tuple[Membership, str] | None:
    """(the membership of index ``index``, its file's SHA-256), read once per file version
    like the bars; None when its catalog entry names no membership file.

    :raise UnknownTickerError: ``index`` is malformed or not in the catalog.
    :raise MembershipError: naming the file and line of a problem.
    """
    catalog = load_catalog(data_dir, skip_invalid=True) if catalog is None else catalog
    path = catalog.resolve_members(index)
    if path is None:
        return None
    from data.membership import parse_membership

    return _once(_MEMBERS, path, lambda raw: (parse_membership(raw, path.name), bytes_sha256(raw)))


def load_events(ticker: str, data_dir: str | Path | None = None) -> Events:
    """Every event of ``ticker``'s events file (``NO_EVENTS`` when its catalog entry names
    none), read once per file version like the bars.

    :raise UnknownTickerError: ``ticker`` is malformed or not in the catalog.
    :raise EventsError: naming the file and line of a problem.
    """
    path = load_catalog(data_dir, skip_invalid=True).resolve_events(ticker)
    return NO_EVENTS if path is None else _parsed_events(path)[0]


def load_history(
    ticker: str,
    start: date,
    end: date,
    data_dir: str | Path | None = None,
    catalog: Catalog | None = None,
) -> History:
    """Resolve ``ticker`` through the catalog of ``data_dir`` (default: ``data_dir()``;
    ``catalog``: that catalog already loaded, for a caller reading many tickers), load and
    check its whole file (read once), and find the bars dated ``start`` .. ``end``.

    :raise UnknownTickerError: the ticker is malformed or not in the catalog (no file read).
    :raise DataQualityError: the file fails a check (``row`` names the line), or its bar
        spacing is not the timeframe its catalog entry records, or its events file fails a
        check (``EventsError``, naming that file and line).
    :raise EmptyRangeError: no bar falls in the range (or ``start`` is after ``end``).
    """
    catalog = load_catalog(data_dir, skip_invalid=True) if catalog is None else catalog
    info = catalog.info(ticker)
    daily = info.timeframe == DAILY
    start = _bound(start, "start", daily)
    end = _bound(end, "end", daily)
    if _instant(start, end=False) >= _instant(end, end=True):
        raise EmptyRangeError(f"the start date {start} is after the end date {end}")
    whole = load_file(ticker, data_dir, catalog)
    bars = whole.bars
    first, stop = bar_window(bars, start, end)
    if first == stop:
        first_day, last_day = _days(bars, daily)
        raise EmptyRangeError(
            f"no {ticker} bars between {start} and {end}; the data covers {first_day} to {last_day}"
        )
    return replace(whole, start=first, stop=stop)


def load_file(
    ticker: str, data_dir: str | Path | None = None, catalog: Catalog | None = None
) -> History:
    """Every bar of ``ticker``'s file (its window is the whole file), checked and read once
    as ``load_history`` reads it: what a ``ref`` to another ticker reads.

    :raise UnknownTickerError: the ticker is malformed or not in the catalog (no file read).
    :raise DataQualityError: as ``load_history``.
    """
    catalog = load_catalog(data_dir, skip_invalid=True) if catalog is None else catalog
    path = catalog.resolve(ticker)
    events_path = catalog.resolve_events(ticker)
    info = catalog.info(ticker)
    bars, data_hash, timeframe = _parsed(path)
    if timeframe != info.timeframe:
        raise DataQualityError(
            2, f"the bars are {timeframe} apart but the catalog says {info.timeframe}"
        )
    events = NO_EVENTS
    if events_path is not None:
        events, events_raw = _parsed_events(events_path)
        check_events(bars, events)
        data_hash = combined_hash(data_hash, events_raw)
    return History(bars, 0, len(bars), data_hash, ticker, path, info, events)


def _days(bars: Bars, daily: bool = True) -> tuple[str, str]:
    """The first and last bar's date (daily) or UTC minute (intraday), ISO text."""
    unit = "D" if daily else "m"
    return tuple(str(bars.timestamps[i].astype(f"datetime64[{unit}]")) for i in (0, -1))


def date_range(ticker: str, data_dir: str | Path | None = None) -> tuple[str, str]:
    """The dates (YYYY-MM-DD) of the first and the last bar of ``ticker``'s file, read
    through the same per-file cache as ``load_history`` (the form shows them and keeps its
    default dates inside them).

    :raise UnknownTickerError: the ticker is not in the catalog.
    :raise DataQualityError: the file fails a check.
    """
    path = load_catalog(data_dir, skip_invalid=True).resolve(ticker)
    stat = path.stat()
    return _file_days(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _file_days(path: str, _mtime_ns: int, _size: int) -> tuple[str, str]:
    """``date_range`` per file version: the forms ask for every ticker on every render, and
    a catalog larger than the bars cache (``_PARSED_MAX``) must not be parsed each time."""
    return _days(_parsed(Path(path))[0])


_COUNT_CHUNK = 1 << 20
"""Bytes read at a time when counting a file's lines (``file_bars``)."""


def file_bars(path: Path) -> int:
    """The rows after the header of the file at ``path``: every bar a load of it parses
    (an upper bound: a blank line counts). Counted without parsing, a chunk at a time, once
    per file version (path, mtime, size), so a submission can weigh a universe cheaply."""
    stat = path.stat()
    return _file_rows(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)
def _file_rows(path: str, _mtime_ns: int, _size: int) -> int:
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(_COUNT_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"  # a last line without its newline
    return max(lines - 1, 0)


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
        events=history.events,
    )
