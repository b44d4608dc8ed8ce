"""Add a user's OHLCV file to the user catalog: check it, store it as <TICKER>.csv in
``<USER_DATA_DIR>/data`` (or a data directory given), update that directory's catalog.json.
The shipped data (DATA_DIR) are never written, and their tickers cannot be taken.

Shared by ``python -m data.import_csv`` and ``python -m data.download``. A comma-separated,
oldest-first file is stored unchanged, so the stored file's SHA-256 (the ``data_hash`` of
results) is the user's file's; a file separated by ``;``, tabs or ``|``, or one sorted on
import (``sort``), is stored in the loader's layout (``data.csv_layout``) and its
``data_hash`` is that stored text's.
Both the CSV and catalog.json are written atomically (temp file + ``os.replace``). Two
registrations running at the same moment may lose one catalog update (last writer wins).

**Events.** The ticker's corporate actions (``data.events``) come as an events file's bytes
(stored unchanged as ``<TICKER>.events.csv``) or are derived from the file's ``Adj Close``
(``data.derive_events``, stored in the events format); either way they are checked against
the bars (``data.adjust.check_events``) and named by the entry's ``events`` field. A split
event whose bars show no jump at it (``data.split_gaps.find_unmoved_splits``: bars already
split-adjusted) is refused naming its line, or with ``splits_without_jump`` a warning. A
registration without events stores none (and removes the entry's old events file); when
the file's ``Adj Close`` differs from its ``Close`` it warns that the adjustments there are
not imported, naming ``--events-from-adjusted``. Then the bars are searched for split-like
gaps no split event explains (``data.split_gaps``): each is a warning of the result, or
with ``strict`` an error and nothing is stored.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from data.adjust import check_events
from data.bars_cache import write_copy
from data.catalog import (
    CATALOG_FILE,
    TickerInfo,
    load_catalog,
    save_catalog,
    user_catalog_dir,
    validate_ticker,
)
from data.csv_layout import delimiter_of, to_canonical
from data.derive_events import events_from_adjusted, first_difference
from data.errors import CatalogError, DataQualityError, UnknownTickerError
from data.events import (
    DELISTING,
    DIVIDEND,
    EVENTS_SUFFIX,
    NO_EVENTS,
    SPLIT,
    Events,
    EventsError,
    combined_hash,
    format_events,
    parse_events,
)
from data.files import atomic_write, bytes_sha256
from data.loader import parse_adjusted_close, parse_series
from data.split_gaps import find_split_gaps, find_unmoved_splits
from data.timeframe import DAILY, bars_per_day, bars_per_year, infer_market
from engine import Bars


@dataclass(frozen=True, eq=False)
class Registered:
    """What a registration stored: the catalog entry, the file, the ticker's ``data_hash``,
    the bars, ``note`` (what the import changed of the file's layout; empty: stored
    unchanged), the events stored beside the bars and the ``warnings`` (one line each: split
    events accepted without a jump, an ``Adj Close`` left unused, the split-like gaps no
    event explains)."""

    info: TickerInfo
    path: Path
    data_hash: str
    bars: Bars
    note: str = ""
    events: Events = NO_EVENTS
    warnings: tuple[str, ...] = ()


def register_csv(
    raw: bytes,
    ticker: str,
    *,
    name: str | None = None,
    description: str = "",
    data_dir: str | Path | None = None,
    timeframe: str | None = None,
    market: str | None = None,
    annual_bars: float | None = None,
    sort: bool = False,
    events: bytes | None = None,
    events_name: str = "events file",
    events_from_adjusted_close: bool = False,
    strict: bool = False,
    splits_without_jump: bool = False,
) -> Registered:
    """Check ``raw`` (CSV bytes, brought into the loader's layout first: ``sort`` puts its
    rows in ascending date order, ``data.csv_layout.to_canonical``) with the loader, write
    it to <dir>/<TICKER>.csv and add or replace the catalog entry (``synthetic: false``).
    Nothing is written if a check fails.
    <dir> is ``data_dir`` when given (its own catalog), else the user catalog
    (``data.catalog.user_catalog_dir()``), overlaid on the shipped data at load time.

    ``name`` defaults to the existing entry's name, else the ticker. The data directory is
    created if needed. The entry records the detected timeframe (``timeframe``, when given,
    must equal it), the market (given, else ``infer_market``) and the bars per year (given,
    else the median bars per date × the market's days; ``data.timeframe``).

    ``events`` (an events file's bytes, ``events_name`` its name for errors) or
    ``events_from_adjusted_close`` (derive them from the ``Adj Close`` column) give the
    ticker's events (the module docstring); ``strict`` makes a split-like gap an error;
    ``splits_without_jump`` makes a split event without a jump in the bars a warning.

    :raise UnknownTickerError: ``ticker`` does not match ``TICKER_PATTERN``.
    :raise DataQualityError: the file fails a loader check (``row`` names the line), or its
        spacing is not the ``timeframe`` asked for, or (``strict``) it has a split-like gap;
        ``EventsError`` when the events fail a check, naming the events file and line (a
        split event without a jump in the bars too, unless ``splits_without_jump``).
    :raise CatalogError: ``ticker`` is a ticker of the shipped data (into the user catalog).
    """
    validate_ticker(ticker)
    if data_dir is None:
        shipped = load_catalog(user_dir=None)
        if ticker in shipped:
            raise CatalogError(
                f"{ticker} is a ticker of the shipped data ({shipped.data_dir / CATALOG_FILE}),"
                " which stay read-only: import the file under another ticker"
            )
        data_dir = user_catalog_dir()
    given = raw
    raw = to_canonical(raw, sort=sort)
    series = parse_series(raw)
    bars = series.bars
    if timeframe is not None and timeframe != series.timeframe:
        raise DataQualityError(
            2, f"the bars are {series.timeframe} apart, not {timeframe} (--timeframe)"
        )
    if events is not None and events_from_adjusted_close:
        raise ValueError("give events or derive them from Adj Close, not both")
    warnings: list[str] = []
    if events is not None:
        found = parse_events(events, events_name)
    elif events_from_adjusted_close:
        found = _derived(raw, bars)
        events = format_events(found).encode() if len(found) else None
    else:
        found = NO_EVENTS
        warnings += _unused_adjusted_close(raw, bars)
    check_events(bars, found)
    for unmoved in find_unmoved_splits(bars, found):
        line, message = unmoved.event.line, unmoved.message()
        if not splits_without_jump:
            raise EventsError(
                found.file,
                line,
                f"{message}: leave the split out of the events, or give --splits-without-jump "
                "if the bars are as traded",
            )
        warnings.append(f"{found.file} line {line}: {message}; imported (--splits-without-jump)")
    gaps = find_split_gaps(bars, found)
    if strict and gaps:
        raise DataQualityError(gaps[0].index + 2, f"{gaps[0].message()} (--strict)")
    market = market or infer_market(bars.timestamps, series.timeframe)
    if annual_bars is None:
        annual_bars = bars_per_year(series.timeframe, market, bars_per_day(bars.timestamps))
    catalog = load_catalog(data_dir, user_dir=None)
    catalog.data_dir.mkdir(parents=True, exist_ok=True)
    previous = catalog.entries.get(ticker)
    info = TickerInfo(
        ticker=ticker,
        name=name or (previous.name if previous else ticker),
        file=f"{ticker}.csv",
        synthetic=False,
        description=description,
        timeframe=series.timeframe,
        market=market,
        bars_per_year=float(annual_bars),
        events=None if events is None else f"{ticker}{EVENTS_SUFFIX}",
    )
    catalog = catalog.with_entry(info)
    path = catalog.data_dir / info.file
    atomic_write(path, raw)
    if info.events is not None:
        atomic_write(catalog.data_dir / info.events, events)
    save_catalog(catalog)
    if previous is not None and previous.events not in (None, info.events):
        (catalog.data_dir / previous.events).unlink(missing_ok=True)
    csv_hash = bytes_sha256(raw)
    write_copy(csv_hash, series)  # the first run reads the bars without parsing
    rewritten = "" if raw is given else f" (stored as {layout_of(given, sort)})"
    return Registered(
        info=info,
        path=path,
        data_hash=combined_hash(csv_hash, events),
        bars=bars,
        note=rewritten,
        events=found,
        warnings=(*warnings, *(gap.message() for gap in gaps)),
    )


def _derived(raw: bytes, bars: Bars) -> Events:
    """The events derived from the ``Adj Close`` column of ``raw`` (``data.derive_events``).

    :raise DataQualityError: the file has no ``Adj Close`` column, or a change of its ratio
        to ``Close`` is neither a split nor a dividend (naming the line).
    """
    adjusted = parse_adjusted_close(raw)
    if adjusted is None:
        raise DataQualityError(1, "no Adj Close column to derive events from")
    column, lines = adjusted
    return events_from_adjusted(bars, column, lines, "the events derived from Adj Close")


def _unused_adjusted_close(raw: bytes, bars: Bars) -> list[str]:
    """The warning (a list of one line, or none) for a file imported without events whose
    ``Adj Close`` differs from its ``Close``: the adjustments it holds are not imported."""
    adjusted = parse_adjusted_close(raw)
    if adjusted is None:
        return []
    column, lines = adjusted
    at = first_difference(bars.close, column)
    if at is None:
        return []
    return [
        f"line {lines[at]}: the Adj Close ({column[at]:g}) differs from the Close "
        f"({bars.close[at]:g}): the dividends (and splits) it adjusts for are not imported, "
        "and runs see the Close as traded only; give --events-from-adjusted to import them "
        "as events (or give them with --events)"
    ]


def describe_events(events: Events) -> str:
    """The events in words for the summary: ``2 splits, 8 dividends, delisted 2023-05-01``."""
    if not len(events):
        return ""
    counts = [
        f"{len(events.of_type(kind))} {kind}{'s' if len(events.of_type(kind)) != 1 else ''}"
        for kind in (SPLIT, DIVIDEND)
        if events.of_type(kind)
    ]
    delisting = events.of_type(DELISTING)
    if delisting:
        counts.append(f"delisted {delisting[0].day}")
    return ", ".join(counts)


def layout_of(raw: bytes, sort: bool) -> str:
    """What an import changed of a file's layout, in words."""
    delimiter = delimiter_of(raw.decode("utf-8-sig", errors="replace"))
    changes = [] if delimiter == "," else ["comma-separated"]
    return ", ".join([*changes, "oldest first"] if sort else changes)


def summary(registered: Registered) -> str:
    """One line for the command line: ticker, bar count, span, timeframe, market, bars per
    year, file and hash."""
    info = registered.info
    unit = "D" if info.timeframe == DAILY else "m"
    stamps = registered.bars.timestamps.astype(f"datetime64[{unit}]")
    events = describe_events(registered.events)
    events = f"; events: {events} -> {info.events}" if events else ""
    return (
        f"{info.ticker}: {len(registered.bars)} bars {stamps[0]} .. {stamps[-1]} "
        f"({info.timeframe}, {info.market}, {info.annual_bars:g} bars/year) "
        f"-> {registered.path} (sha256 {registered.data_hash}){registered.note}{events}"
    )


def command_exit(
    register: Callable[[], Registered],
    *,
    done: str,
    bad_data: str,
    refused: tuple[type[Exception], ...] = (),
) -> int:
    """The exit status of a registering command (``data.import_csv``, ``data.download``):
    0 after printing ``<done> <summary>`` (and on stderr a ``warning: <line>`` line per
    warning of the result); 2 after printing on stderr ``error: <bad_data> <message>`` for data
    that fail the loader's checks, or ``error: <message>`` for an events file that fails
    its checks (the message names it), an invalid ticker, a catalog problem, an unreadable
    file or one of ``refused``."""
    try:
        registered = register()
    except EventsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DataQualityError as exc:
        print(f"error: {bad_data} {exc}", file=sys.stderr)
        return 2
    except (UnknownTickerError, CatalogError, *refused, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{done} {summary(registered)}")
    for warning in registered.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
