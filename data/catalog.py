"""The ticker catalog: DATA_DIR/catalog.json says which tickers exist and which file holds each.

The catalog is the only way from a ticker to a file. A ticker is checked against
``TICKER_PATTERN`` before any lookup, entries may only name a bare file inside DATA_DIR, and
the resolved path must stay inside DATA_DIR, so a request can never make the loader read an
arbitrary file. Format (keys sorted, 2-space indent)::

    {"ACME": {"description": "...", "file": "ACME.csv", "name": "Acme Corporation",
              "synthetic": true}, ...}

**The user catalog.** ``load_catalog`` overlays the catalog of the user data directory
(``<USER_DATA_DIR>/data/catalog.json``, where ``python -m data.import_csv`` writes) on the
shipped one: its entries name files in that directory, and the shipped data stay read-only.
A user entry may not take a shipped ticker: the import refuses it, and a user catalog
holding one (edited by hand, or a ticker shipped later) is a ``CatalogError`` naming both
files and what to do, never a silent replacement of the data a ticker means.

Additive fields (``data.timeframe``): ``timeframe`` ("1d", "1h", "5m" or "1m"; "1d" when absent),
``market`` ("equity", "fx" or "crypto"; "equity" when absent) and ``bars_per_year`` (the
annualisation factor; when absent, the nominal figure of the timeframe and market, 252 for
daily equity bars). ``python -m data.import_csv`` records all three. ``sector`` (a
string, e.g. "Energy"; absent when unknown) groups the demo universe's tickers
(``data.demo_universe``) in the forms' pickers and lets a portfolio pick a whole sector.
``events`` (a bare file name beside ``file``; absent: none) names the ticker's corporate
actions file (``data.events``), which ``python -m data.import_csv --events`` stores.
``members`` (an index's entry; a bare file name beside ``file``; absent: none) names its
membership file (``data.membership``): the index's members through time, for a portfolio's
point-in-time universe.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from data.errors import BadEntryError, CatalogError, UnknownTickerError
from data.files import atomic_write
from data.location import data_dir as default_data_dir
from data.location import user_data_dir
from data.timeframe import DAILY, MARKETS, TIMEFRAMES, bars_per_year

logger = logging.getLogger(__name__)

CATALOG_FILE = "catalog.json"
"""Name of the catalog inside DATA_DIR."""

TICKER_PATTERN = re.compile(r"\^?[A-Z0-9][A-Z0-9.=-]{0,19}")
"""Valid tickers (full match): upper-case letters, digits, ``.``, ``-``, ``=``, 1-20 characters
starting with a letter or digit, optionally after one leading ``^`` (index symbols such as
``^GSPC``). No path separators, no leading dot, no whitespace."""

_FILE_PATTERN = re.compile(r"[A-Za-z0-9^][A-Za-z0-9._=^-]{0,63}")
"""Valid ``file`` values in the catalog (full match): a bare file name, no separators."""

_INVALID_TICKER = (
    "invalid ticker: use 1-20 characters A-Z, 0-9, '.', '-', '=' (an index may start with '^')"
)


def validate_ticker(ticker: object) -> str:
    """Return ``ticker`` if it is a string matching ``TICKER_PATTERN``.

    :raise UnknownTickerError: for anything else (the message never echoes the input).
    """
    if not isinstance(ticker, str) or TICKER_PATTERN.fullmatch(ticker) is None:
        raise UnknownTickerError(_INVALID_TICKER)
    return ticker


@dataclass(frozen=True)
class TickerInfo:
    """One catalog entry. ``file`` is a bare file name inside DATA_DIR."""

    ticker: str
    name: str
    file: str
    synthetic: bool
    description: str = ""
    timeframe: str = DAILY
    market: str = "equity"
    bars_per_year: float | None = None
    """Recorded at import; None = the nominal figure (``annual_bars``)."""
    sector: str | None = None
    """The company's sector (the demo universe's); None when unknown."""
    events: str | None = None
    """The bare name of its events file beside ``file`` (``data.events``); None: no events."""
    index: bool = False
    """A market index (DEMOIX), not a company: for ``ref`` market filters, left out of the
    portfolio form's universe."""
    members: str | None = None
    """The bare name of its membership file beside ``file`` (``data.membership``): an
    index's members through time; None: none."""

    @property
    def annual_bars(self) -> float:
        """Bars per year for annualising this ticker's statistics (252 for daily equity)."""
        if self.bars_per_year is not None:
            return self.bars_per_year
        return bars_per_year(self.timeframe, self.market)

    def to_json(self) -> dict[str, Any]:
        """The entry as stored in catalog.json (without the ticker, which is the key). The
        timeframe fields appear when any of them differs from the daily-equity default or a
        bars-per-year figure was recorded, so the demo entries keep their bytes."""
        doc: dict[str, Any] = {
            "description": self.description,
            "file": self.file,
            "name": self.name,
            "synthetic": self.synthetic,
        }
        if self.bars_per_year is not None or (self.timeframe, self.market) != (DAILY, "equity"):
            doc["timeframe"] = self.timeframe
            doc["market"] = self.market
        if self.bars_per_year is not None:
            doc["bars_per_year"] = self.bars_per_year
        if self.sector is not None:
            doc["sector"] = self.sector
        if self.events is not None:
            doc["events"] = self.events
        if self.index:
            doc["index"] = True
        if self.members is not None:
            doc["members"] = self.members
        return doc


def _entry(ticker: object, raw: object) -> TickerInfo:
    """Validate one catalog.json entry; :raise CatalogError: naming the entry."""
    if not isinstance(ticker, str) or TICKER_PATTERN.fullmatch(ticker) is None:
        raise CatalogError(f"{CATALOG_FILE}: invalid ticker key {ticker!r}")
    if not isinstance(raw, dict):
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker} must be an object")
    file = raw.get("file")
    if not isinstance(file, str) or _FILE_PATTERN.fullmatch(file) is None:
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker} has an invalid file name {file!r}")
    name = raw.get("name", ticker)
    synthetic = raw.get("synthetic", False)
    description = raw.get("description", raw.get("source", ""))
    if not isinstance(name, str) or not isinstance(description, str):
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker}: name/description must be strings")
    if not isinstance(synthetic, bool):
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker}: synthetic must be true or false")
    timeframe = raw.get("timeframe", DAILY)
    market = raw.get("market", "equity")
    if timeframe not in TIMEFRAMES:
        raise CatalogError(
            f"{CATALOG_FILE}: entry {ticker}: timeframe must be one of {', '.join(TIMEFRAMES)}"
        )
    if market not in MARKETS:
        raise CatalogError(
            f"{CATALOG_FILE}: entry {ticker}: market must be one of {', '.join(MARKETS)}"
        )
    per_year = raw.get("bars_per_year")
    if per_year is not None and (
        isinstance(per_year, bool)
        or not isinstance(per_year, (int, float))
        or not math.isfinite(per_year)
        or per_year <= 0
    ):
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker}: bars_per_year must be a number > 0")
    per_year = None if per_year is None else float(per_year)
    sector = raw.get("sector")
    if sector is not None and (not isinstance(sector, str) or not 0 < len(sector) <= 64):
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker}: sector must be a string of 1-64")
    events = raw.get("events")
    if events is not None and (
        not isinstance(events, str) or _FILE_PATTERN.fullmatch(events) is None or events == file
    ):
        raise CatalogError(
            f"{CATALOG_FILE}: entry {ticker} has an invalid events file name {events!r}"
        )
    index = raw.get("index", False)
    if not isinstance(index, bool):
        raise CatalogError(f"{CATALOG_FILE}: entry {ticker}: index must be true or false")
    members = raw.get("members")
    if members is not None and (
        not isinstance(members, str)
        or _FILE_PATTERN.fullmatch(members) is None
        or members in (file, events)
    ):
        raise CatalogError(
            f"{CATALOG_FILE}: entry {ticker} has an invalid members file name {members!r}"
        )
    return TickerInfo(
        ticker,
        name,
        file,
        synthetic,
        description,
        timeframe,
        market,
        per_year,
        sector,
        events,
        index,
        members,
    )


@dataclass(frozen=True)
class Catalog:
    """The tickers of one data directory, and those of the user catalog overlaid on it
    (``user_tickers``, whose files are in ``user_dir``). Immutable: ``with_entry`` returns
    a new catalog."""

    data_dir: Path
    entries: dict[str, TickerInfo] = field(default_factory=dict)
    user_dir: Path | None = None
    user_tickers: frozenset[str] = frozenset()
    invalid: dict[str, str] = field(default_factory=dict)
    """The entries skipped as invalid (``_read_entries``): their key and what is wrong."""

    def tickers(self) -> list[TickerInfo]:
        """All entries, sorted by ticker."""
        return [self.entries[key] for key in sorted(self.entries)]

    def __contains__(self, ticker: object) -> bool:
        return isinstance(ticker, str) and ticker in self.entries

    def info(self, ticker: object) -> TickerInfo:
        """The entry of ``ticker``.

        :raise UnknownTickerError: if the ticker is malformed or not in the catalog.
        """
        name = validate_ticker(ticker)
        try:
            return self.entries[name]
        except KeyError:
            if name in self.invalid:
                raise BadEntryError(_unusable(name)) from None
            raise UnknownTickerError(f"unknown ticker {ticker}") from None

    def resolve(self, ticker: object) -> Path:
        """The path of ``ticker``'s CSV file. Reads nothing.

        :raise UnknownTickerError: if the ticker is malformed or not in the catalog.
        :raise BadEntryError: if its entry is invalid, or its file resolves outside DATA_DIR
            (e.g. a symlink), which is logged.
        """
        info = self.info(ticker)
        return self._inside(info, info.file)

    def resolve_events(self, ticker: object) -> Path | None:
        """The path of ``ticker``'s events file (None when its entry names none). Reads
        nothing; the same checks as ``resolve``."""
        info = self.info(ticker)
        return None if info.events is None else self._inside(info, info.events)

    def resolve_members(self, ticker: object) -> Path | None:
        """The path of index ``ticker``'s membership file (None when its entry names none).
        Reads nothing; the same checks as ``resolve``."""
        info = self.info(ticker)
        return None if info.members is None else self._inside(info, info.members)

    def _inside(self, info: TickerInfo, name: str) -> Path:
        """The path of file ``name`` of entry ``info``, which must stay in its folder."""
        in_user_dir = self.user_dir is not None and info.ticker in self.user_tickers
        root = self._roots[1] if in_user_dir else self._roots[0]
        path = (root / name).resolve()
        if not path.is_relative_to(root) or path == root:
            problem = "its file is outside DATA_DIR"
            _skipped(root / CATALOG_FILE, info.ticker, problem)
            raise BadEntryError(_unusable(info.ticker, problem))
        return path

    @cached_property
    def _roots(self) -> tuple[Path, Path | None]:
        """The data directory and the user catalog's, resolved once per catalog: a
        portfolio resolves hundreds of tickers' paths."""
        user = self.user_dir.resolve() if self.user_dir is not None else None
        return self.data_dir.resolve(), user

    def with_entry(self, info: TickerInfo) -> Catalog:
        """A copy of this catalog with ``info`` added or replacing the entry of its ticker."""
        validate_ticker(info.ticker)
        _entry(info.ticker, info.to_json())
        return replace(self, entries={**self.entries, info.ticker: info})

    def to_json_bytes(self) -> bytes:
        """The catalog of ``data_dir`` as catalog.json bytes (an overlaid user entry is
        not written there): sorted keys, 2-space indent, final newline."""
        own = sorted(set(self.entries) - self.user_tickers)
        doc = {key: self.entries[key].to_json() for key in own}
        return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


USER_CATALOG = "data"
"""The user catalog's folder inside the user data directory."""

_USER = object()


def user_catalog_dir() -> Path:
    """``<USER_DATA_DIR>/data``: the imported CSVs and their catalog.json (not created)."""
    return user_data_dir() / USER_CATALOG


def load_catalog(
    data_dir: str | Path | None = None, user_dir: Any = _USER, *, skip_invalid: bool = False
) -> Catalog:
    """Read DATA_DIR/catalog.json (default: ``data_dir()``) and overlay the user catalog
    (default: ``user_catalog_dir()``; None: none). A missing file is an empty catalog.

    ``skip_invalid`` (what reads data for a request: the web, a Job) skips an invalid entry
    and logs it, naming it (``Catalog.invalid``; a request naming its ticker is then a
    ``BadEntryError``), so one bad hand edit does not take the whole catalog down; without it
    (what writes the catalog back: the import, the generators) an invalid entry is an error,
    so a rewrite never drops it.

    :raise CatalogError: a file is not valid JSON or not an object, the user catalog holds
        a ticker of the shipped one, or (not ``skip_invalid``) an entry is invalid.
    """
    root = Path(data_dir).resolve() if data_dir is not None else default_data_dir()
    shipped, invalid = _read_entries(root, skip_invalid)
    overlay = user_catalog_dir() if user_dir is _USER else user_dir
    overlay = Path(overlay).resolve() if overlay is not None else None
    if overlay is None or overlay == root:
        return Catalog(root, shipped, invalid=invalid)
    user, user_invalid = _read_entries(overlay, skip_invalid)
    taken = sorted(set(user) & set(shipped))
    if taken:
        raise CatalogError(
            f"{overlay / CATALOG_FILE}: {', '.join(taken)} is a ticker of {root / CATALOG_FILE}"
            " already; a user entry cannot replace it: import the file under another ticker"
            " and remove this entry"
        )
    invalid = {**invalid, **user_invalid}
    return Catalog(root, {**shipped, **user}, overlay, frozenset(user), invalid)


def _unusable(ticker: str, problem: str = "it is invalid") -> str:
    return f"the catalog entry of {ticker} cannot be used ({problem}): the operator must fix it"


_SKIPPED: set[tuple[str, str, str]] = set()
"""The (catalog, entry, problem) already logged: each is logged once per process."""


def _skipped(catalog: Path, key: str, problem: str) -> None:
    """Log that ``catalog``'s entry ``key`` is skipped, and why (once per process)."""
    if (str(catalog), key, problem) not in _SKIPPED:
        _SKIPPED.add((str(catalog), key, problem))
        logger.warning("%s: entry %r skipped: %s", catalog, key, problem)


def _read_entries(root: Path, skip_invalid: bool) -> tuple[dict[str, TickerInfo], dict[str, str]]:
    """(the valid entries, the invalid ones' keys and problems) of ``root``'s catalog; an
    invalid entry raises unless ``skip_invalid``."""
    try:
        text = (root / CATALOG_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg}, line {exc.lineno}"
        raise CatalogError(f"{CATALOG_FILE}: not valid JSON ({problem})") from None
    if not isinstance(doc, dict):
        raise CatalogError(f"{CATALOG_FILE}: must be an object mapping ticker -> entry")
    entries, invalid = {}, {}
    for key, raw in doc.items():
        try:
            entries[key] = _entry(key, raw)
        except CatalogError as exc:
            if not skip_invalid:
                raise
            invalid[str(key)] = str(exc)
            _skipped(root / CATALOG_FILE, str(key), str(exc))
    return entries, invalid


def save_catalog(catalog: Catalog) -> Path:
    """Write ``catalog`` to its DATA_DIR/catalog.json atomically; returns the path."""
    path = catalog.data_dir / CATALOG_FILE
    atomic_write(path, catalog.to_json_bytes())
    return path
