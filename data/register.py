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
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
from data.errors import CatalogError, DataQualityError, UnknownTickerError
from data.files import atomic_write, bytes_sha256
from data.loader import parse_series
from data.timeframe import DAILY, bars_per_day, bars_per_year, infer_market
from engine import Bars


@dataclass(frozen=True, eq=False)
class Registered:
    """What a registration stored: the catalog entry, the file, its hash, the bars and
    ``note``, what the import changed of the file's layout (empty: stored unchanged)."""

    info: TickerInfo
    path: Path
    data_hash: str
    bars: Bars
    note: str = ""


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

    :raise UnknownTickerError: ``ticker`` does not match ``TICKER_PATTERN``.
    :raise DataQualityError: the file fails a loader check (``row`` names the line), or its
        spacing is not the ``timeframe`` asked for.
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
    )
    catalog = catalog.with_entry(info)
    path = catalog.data_dir / info.file
    atomic_write(path, raw)
    save_catalog(catalog)
    data_hash = bytes_sha256(raw)
    write_copy(data_hash, series)  # the first run reads the bars without parsing
    rewritten = "" if raw is given else f" (stored as {layout_of(given, sort)})"
    return Registered(info=info, path=path, data_hash=data_hash, bars=bars, note=rewritten)


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
    return (
        f"{info.ticker}: {len(registered.bars)} bars {stamps[0]} .. {stamps[-1]} "
        f"({info.timeframe}, {info.market}, {info.annual_bars:g} bars/year) "
        f"-> {registered.path} (sha256 {registered.data_hash}){registered.note}"
    )


def command_exit(
    register: Callable[[], Registered],
    *,
    done: str,
    bad_data: str,
    refused: tuple[type[Exception], ...] = (),
) -> int:
    """The exit status of a registering command (``data.import_csv``, ``data.download``):
    0 after printing ``<done> <summary>``; 2 after printing on stderr ``error: <bad_data>
    <message>`` for data that fail the loader's checks, or ``error: <message>`` for an
    invalid ticker, a catalog problem, an unreadable file or one of ``refused``."""
    try:
        registered = register()
    except DataQualityError as exc:
        print(f"error: {bad_data} {exc}", file=sys.stderr)
        return 2
    except (UnknownTickerError, CatalogError, *refused, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{done} {summary(registered)}")
    return 0
