"""A portfolio's universe: every ticker's file loaded through the catalog, checked against the
request (known ticker, daily bars), aligned on the union of the calendars of those with a bar
in the window, and hashed together. A ticker without a bar in the window (listed after it,
delisted before it: a point-in-time universe's names over a part of its history) is left out
of the universe, as if not requested; its file is hashed all the same.

``load_universe`` is the only I/O of a portfolio Job (and of the web's submission check, which
reads the catalog and counts the files' lines: ``check_universe``). It also loads every other
ticker the ranking's ``ref`` calls read (``Universe.references``, through the run's
``kinds.runs.references``). ``Universe.data_hash`` is the SHA-256 of every file's own hash
in ticker order (then each referenced ticker's, in sorted order, and the membership file's),
so a result records exactly the files it read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

import data
from data.adjust import window_actions
from data.dataset import load_membership
from data.events import Event
from data.membership import Membership, MembershipError
from engine import Bars
from engine.portfolio import PortfolioActions
from kinds.runs.references import adjusted_until, load_references, not_in_catalog
from rules.ranking import compile_ranking
from work.errors import RequestError

BYTES_PER_CELL = 160
"""Peak bytes one (bar, ticker) cell of the window costs a Job: the aligned
open/close/score/eligibility/target/weight/share arrays and their temporaries (~100 B) and
the window's share of the loaded columns. ``bench.portfolio_queue_bench`` measures the real
figure."""

BYTES_PER_LOADED_BAR = 64
"""Bytes every bar of a ticker's file keeps for the whole Job, in or before the window (a
file is parsed whole and its history up to the window's end warms the indicators up): the
parsed timestamp and OHLCV columns (48.7 B measured) and its calendar index (8 B)."""

BYTES_PER_PARSED_BAR = 1024
"""Bytes a bar costs while its file is parsed (the text, its cells, the columns being
built: 720 B measured for 52-byte lines, 370 B for 21-byte ones); one file at a time, so the
largest file's bars count once."""

BYTES_PER_ADJUSTED_BAR = 56
"""Bytes every loaded bar adds with a ``price_adjustment``: its adjusted copy (open, high,
low, close, volume) and its price factor, six float64 kept for the ranking."""

BASE_MB = 120
"""A portfolio Job's memory before its data: the interpreter, numpy and the platform."""


@dataclass(frozen=True, eq=False)
class Universe:
    """The aligned universe: ``days`` (T,) datetime64[D] union calendar of the window;
    ``open``/``close`` (T, N) with NaN where a ticker has no bar; ``histories`` each
    ticker's whole file up to the window's end (indicators warm up on the bars before it)
    with ``rows``, the index of each history bar on the calendar (-1 before the window)."""

    tickers: tuple[str, ...]
    days: np.ndarray
    open: np.ndarray
    close: np.ndarray
    histories: tuple[Bars, ...]
    rows: tuple[np.ndarray, ...]
    data_hash: str
    bars_per_year: float
    sectors: tuple[str | None, ...] = ()
    """Each ticker's catalog sector (None when unknown); empty = all unknown."""
    delistings: tuple[Event | None, ...] = ()
    """Each ticker's delisting (its events file's, ``data.events``; None: still listed);
    empty = none delisted."""
    members: np.ndarray | None = None
    """(T, N) bool: True where the ticker is a member of the request's ``membership`` index
    on that day; None without one."""
    actions: PortfolioActions | None = None
    """The splits and dividends of the tickers' events files on their ex-bars inside the
    window (``data.adjust.window_actions``); None when none acts there."""
    signals: tuple[Bars, ...] = ()
    """With a ``price_adjustment``: each history's bars as the ranking sees them (adjusted
    by its own events as of the window's last bar, ``data.History.with_adjustment``);
    empty = the histories as traded."""
    references: Mapping[str, Bars] = field(default_factory=dict)
    """The bars of every other ticker the ranking's ``ref`` calls read, by ticker (whole
    files; with a ``price_adjustment`` up to the window's end, adjusted as the ranked bars
    are); empty without a ``ref``."""

    def ranked_bars(self) -> tuple[Bars, ...]:
        """Each ticker's bars up to the window's end as the score, the filter and the risk
        estimates read them: adjusted with a ``price_adjustment``, else as traded."""
        return self.signals or self.histories

    def ranked_close(self) -> np.ndarray:
        """(T, N) the window's closes as ``ranked_bars`` has them (``close`` itself when
        they are as traded)."""
        if not self.signals:
            return self.close
        out = np.full(self.close.shape, np.nan)
        for column, (bars, rows) in enumerate(zip(self.signals, self.rows, strict=True)):
            inside = rows >= 0
            out[rows[inside], column] = bars.close[inside]
        return out


def _load(
    ticker: str, at: int, start: date, end: date, data_dir: Path | None, catalog: data.Catalog
) -> data.History:
    """``ticker``'s history with its window ``start``..``end``, an empty one (``start ==
    stop``, the bars before the window's end kept) when no bar of its file falls there."""
    field = f"tickers[{at}]"
    try:
        try:
            history = data.load_history(ticker, start, end, data_dir, catalog)
        except data.EmptyRangeError:
            history = data.load_file(ticker, data_dir, catalog)
            first = data.bar_window(history.bars, start, end)[0]
            history = replace(history, start=first, stop=first)
    except data.UnknownTickerError as exc:
        raise RequestError(field, str(exc)) from None
    except data.DataQualityError as exc:
        raise RequestError(field, f"data file for {ticker} is invalid: {exc}") from None
    if history.timeframe != "1d":
        raise RequestError(field, f"{ticker} has {history.timeframe} bars; portfolios take 1d")
    return history


def union_calendar(stamps: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the sorted union of the days in ``stamps`` (datetime64[D] arrays, non-empty), each
    array's index on it): what ``np.unique`` of them all and ``np.searchsorted`` give, from
    one mark per calendar day between the first and the last (no sort of every bar)."""
    days = [np.asarray(own, dtype="datetime64[D]").view(np.int64) for own in stamps]
    first = min(int(own.min()) for own in days)
    marked = np.zeros(max(int(own.max()) for own in days) - first + 1, dtype=bool)
    for own in days:
        marked[own - first] = True
    position = np.cumsum(marked, dtype=np.intp) - 1
    union = (np.flatnonzero(marked).astype(np.int64) + first).view("datetime64[D]")
    return union, [position[own - first] for own in days]


def _membership(index: str, data_dir: Path | None, catalog: data.Catalog) -> tuple[Membership, str]:
    """The membership of the request's ``membership`` index and its file's SHA-256.

    :raise RequestError: naming ``membership`` (unknown ticker, no membership file, a bad
        file: its name and line).
    """
    try:
        found = load_membership(index, data_dir, catalog)
    except data.UnknownTickerError as exc:
        raise RequestError("membership", str(exc)) from None
    except MembershipError as exc:
        problem = f"the membership file of {index} is invalid: {exc}"
        raise RequestError("membership", problem) from None
    except OSError:
        problem = f"the membership file of {index} cannot be read"
        raise RequestError("membership", problem) from None
    if found is None:
        raise RequestError("membership", f"{index} has no membership file in the catalog")
    return found


def referenced(request: dict) -> list[tuple[str, str]]:
    """(field, ticker) of every other ticker the request's ranking ``ref``s, in order of
    first appearance; the field is ``allocation.score`` or ``allocation.filter``, the first
    text naming it (empty without a ranking)."""
    allocation = request["allocation"]
    if allocation["method"] != "rank":
        return []
    ranking = compile_ranking(allocation["score"], allocation["filter"])
    return [(f"allocation.{side}", ticker) for side, ticker in ranking.tickers]


def _references(
    request: dict, loaded: Sequence[data.History], data_dir: Path | None, catalog: data.Catalog
) -> tuple[dict[str, Bars], list[str]]:
    """(the referenced tickers' bars, their lines of the data hash: ``ref <TICKER>:<its
    hash>`` in sorted order); as traded, or up to the window's end and adjusted with a
    ``price_adjustment`` (``kinds.runs.references.adjusted_until``)."""
    others = load_references(referenced(request), data_dir, catalog)
    adjustment = request.get("price_adjustment")
    if adjustment and others:
        end = max(h.bars.timestamps[h.stop - 1] for h in loaded)
        bars = {t: adjusted_until(other, end, adjustment) for t, other in others.items()}
    else:
        bars = {t: other.bars for t, other in others.items()}
    return bars, [f"ref {t}:{others[t].data_hash}\n" for t in sorted(others)]


def load_universe(request: dict, data_dir: Path | None = None) -> Universe:
    """Load and align the request's universe (module docstring): its tickers are those of
    the request with a bar in the window, in the request's order.

    :raise RequestError: naming ``tickers[i]`` (unknown, invalid file, not daily),
        ``tickers`` (no ticker has a bar in the window), ``membership`` (``_membership``) or
        ``allocation.score`` / ``allocation.filter`` (a ``ref`` to a ticker the catalog
        lacks, or to an invalid file).
    """
    start, end = date.fromisoformat(request["start_date"]), date.fromisoformat(request["end_date"])
    catalog = data.load_catalog(data_dir, skip_invalid=True)  # once: not once per ticker
    every = [
        _load(ticker, at, start, end, data_dir, catalog)
        for at, ticker in enumerate(request["tickers"])
    ]
    digest = hashlib.sha256()
    for history in every:
        digest.update(f"{history.ticker}:{history.data_hash}\n".encode())
    loaded = [history for history in every if history.stop > history.start]
    if not loaded:
        raise RequestError("tickers", f"no ticker has a bar from {start} to {end}")
    universe, rows_of = aligned(loaded)
    tickers, days, shape = universe.tickers, universe.days, universe.close.shape
    references, lines = _references(request, loaded, data_dir, catalog)
    for line in lines:
        digest.update(line.encode())
    adjustment = request.get("price_adjustment")
    signals = tuple(h.with_adjustment(adjustment).signal_bars for h in loaded) if adjustment else ()
    members = None
    if request.get("membership"):
        membership, members_hash = _membership(request["membership"], data_dir, catalog)
        members = membership.mask(tickers, days)
        digest.update(f"members {request['membership']}:{members_hash}\n".encode())
    return replace(
        universe,
        data_hash=digest.hexdigest(),
        sectors=tuple(catalog.info(ticker).sector for ticker in tickers),
        delistings=tuple(history.events.delisting for history in loaded),
        members=members,
        actions=_actions(loaded, rows_of, shape),
        signals=signals,
        references=references,
    )


def aligned(loaded: Sequence[data.History]) -> tuple[Universe, list[np.ndarray]]:
    """(the universe of the ``loaded`` histories, each ticker's window ``[start, stop)``
    on the union calendar of those windows, its ``data_hash`` empty and none of the optional
    fields set; each window's index on that calendar): the alignment ``load_universe``
    completes, pure."""
    stamps = [h.bars.timestamps[h.start : h.stop].astype("datetime64[D]") for h in loaded]
    days, rows_of = union_calendar(stamps)
    shape = (days.size, len(loaded))
    open_, close = np.full(shape, np.nan), np.full(shape, np.nan)
    histories, rows = [], []
    for column, (history, at) in enumerate(zip(loaded, rows_of, strict=True)):
        open_[at, column] = history.bars.open[history.start : history.stop]
        close[at, column] = history.bars.close[history.start : history.stop]
        index = np.full(history.stop, -1, dtype=np.intp)
        index[history.start :] = at
        histories.append(history.bars.slice(0, history.stop))
        rows.append(index)
    universe = Universe(
        tickers=tuple(history.ticker for history in loaded),
        days=days,
        open=open_,
        close=close,
        histories=tuple(histories),
        rows=tuple(rows),
        data_hash="",
        bars_per_year=loaded[0].bars_per_year,
    )
    return universe, rows_of


def _actions(
    loaded: Sequence[data.History], rows_of: Sequence[np.ndarray], shape: tuple[int, int]
) -> PortfolioActions | None:
    """The splits and dividends acting on each ticker's own bars of the window after its
    first (``data.adjust.window_actions``), on the union calendar; None when none does (the
    simulation is then the one without them, byte for byte)."""
    split, dividend = None, None
    for column, (history, at) in enumerate(zip(loaded, rows_of, strict=True)):
        if not history.events.events:
            continue
        acts = window_actions(history.bars, history.events, history.start, history.stop)
        if acts is None or ((acts.split == 1.0).all() and (acts.dividend == 0.0).all()):
            continue  # a delisting alone: a forced close
        if split is None:
            split, dividend = np.ones(shape), np.zeros(shape)
        split[at, column] = acts.split
        dividend[at, column] = acts.dividend
    return None if split is None else PortfolioActions(split, dividend)


def estimated_mb(
    tickers: int,
    start: date,
    end: date,
    bars_per_year: float = 252.0,
    loaded_bars: Sequence[int] = (),
    adjusted: bool = False,
) -> float:
    """The memory a Job needs for ``tickers`` daily tickers over ``start``..``end``
    (calendar days × bars per year / 365 bars, each ticker's cells at ``BYTES_PER_CELL``),
    plus every bar of their files (``loaded_bars``: each ticker's, ``data.file_bars``) at
    ``BYTES_PER_LOADED_BAR`` and the largest file's parse at ``BYTES_PER_PARSED_BAR``: the
    warm-up history before the window is loaded too. ``adjusted`` (a ``price_adjustment``)
    adds ``BYTES_PER_ADJUSTED_BAR`` per loaded bar. The splits and dividends of a window
    where some act (two float64 a cell) fit in ``BYTES_PER_CELL``."""
    bars = ((end - start).days + 1) * bars_per_year / 365.0
    per_bar = BYTES_PER_LOADED_BAR + (BYTES_PER_ADJUSTED_BAR if adjusted else 0)
    loaded = sum(loaded_bars) * per_bar + max(loaded_bars, default=0) * BYTES_PER_PARSED_BAR
    return BASE_MB + (tickers * bars * BYTES_PER_CELL + loaded) / 2**20


def check_universe(request: dict, data_dir: Path | None, memory_mb: int) -> None:
    """What a submission checks before recording anything: every ticker known and daily
    in the catalog (no file parsed), and the universe small enough for a Job's memory
    (``memory_mb``: PORTFOLIO_MAX_MEMORY_MB), counting every bar of its files
    (``data.file_bars``, their lines counted once per file version), and the window's
    cells twice with ``survivorship_audit`` (its second run is held beside the first).

    :raise RequestError: naming ``tickers[i]``, ``tickers`` (too large for
        PORTFOLIO_MAX_MEMORY_MB), ``membership`` (no index with a valid membership file) or
        ``allocation.score`` / ``allocation.filter`` (a ``ref`` to a ticker the catalog
        lacks; its bars count against the memory too) or ``allocation.top_groups`` (no
        ticker has a sector).
    """
    try:
        catalog = data.load_catalog(data_dir, skip_invalid=True)
    except data.CatalogError as exc:
        raise RequestError("tickers", str(exc)) from None
    loaded_bars = []
    for at, ticker in enumerate(request["tickers"]):
        try:
            path = catalog.resolve(ticker)
        except data.UnknownTickerError as exc:
            raise RequestError(f"tickers[{at}]", str(exc)) from None
        timeframe = catalog.info(ticker).timeframe
        if timeframe != "1d":
            raise RequestError(
                f"tickers[{at}]", f"{ticker} has {timeframe} bars; portfolios take 1d"
            )
        try:
            loaded_bars.append(data.file_bars(path))
        except OSError:
            raise RequestError(
                f"tickers[{at}]", f"the data file of {ticker} cannot be read"
            ) from None
    allocation = request["allocation"]
    if allocation.get("top_groups") and all(
        catalog.info(ticker).sector is None for ticker in request["tickers"]
    ):
        problem = "ranks sectors, but no ticker has a sector in the data catalog"
        raise RequestError("allocation.top_groups", problem)
    for field_name, ticker in referenced(request):
        try:
            path = catalog.resolve(ticker)
        except data.UnknownTickerError:
            raise not_in_catalog(field_name, ticker) from None
        try:
            loaded_bars.append(data.file_bars(path))
        except OSError:
            problem = f"{field_name} refs {ticker}, whose data file cannot be read"
            raise RequestError(field_name, problem) from None
    if request.get("membership"):
        _membership(request["membership"], data_dir, catalog)
    start, end = date.fromisoformat(request["start_date"]), date.fromisoformat(request["end_date"])
    columns = len(request["tickers"]) * (2 if request.get("survivorship_audit") else 1)
    adjusted = bool(request.get("price_adjustment"))
    need = estimated_mb(columns, start, end, loaded_bars=loaded_bars, adjusted=adjusted)

    limit = memory_mb
    if need > limit:
        raise RequestError(
            "tickers",
            f"{len(request['tickers'])} tickers over these dates need about {need:,.0f} MB, "
            f"more than a portfolio Job may use ({limit:,} MB, PORTFOLIO_MAX_MEMORY_MB): "
            "fewer tickers, a shorter window or tickers with shorter histories",
        )
