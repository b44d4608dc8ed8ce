"""An index's members through time: the membership file beside an index ticker's bars.

A point-in-time universe ranks and holds, on each day, only the tickers that were members of
its index that day, so a backtest does not pick from today's members only (survivorship
bias). The file is named by the index's catalog entry (``members``, a bare file name beside
``file``), one membership interval a line, comma-separated, under the header
``ticker,from,to``::

    ticker,from,to
    ACME,2014-01-02,
    PIPR,2018-01-02,2022-07-01
    PIPR,2023-01-03,

A ticker is a member on the days ``from <= day < to``; an empty ``to`` means it still is.
A ticker may leave and join again (several lines), but its intervals may not overlap.
Blank lines and lines starting with ``#`` are skipped; dates are ``YYYY-MM-DD``. Every error
(``MembershipError``) names the file and the 1-based line. Pure functions over text.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from data.catalog import TICKER_PATTERN
from data.side_files import SideFileError, data_rows

HEADER = ("ticker", "from", "to")
"""The header of a membership file."""

MEMBERS_SUFFIX = ".members.csv"
"""A membership file's name: ``<INDEX>.members.csv`` beside ``<INDEX>.csv``."""


class MembershipError(SideFileError):
    """A membership file fails a check: ``file`` and ``row`` (1-based line) name where."""


@dataclass(frozen=True)
class Interval:
    """``ticker`` is a member on the days ``start <= day < end`` (``end`` None: to this
    day); ``line`` is the file's line it came from (0 when made in code)."""

    ticker: str
    start: date
    end: date | None
    line: int = 0


@dataclass(frozen=True)
class Membership:
    """An index's membership intervals (by ticker, then start) and the file's name."""

    intervals: tuple[Interval, ...]
    file: str = ""

    def tickers(self) -> list[str]:
        """Every ticker that was ever a member, sorted."""
        return sorted({interval.ticker for interval in self.intervals})

    def mask(self, tickers: Sequence[str], days: np.ndarray) -> np.ndarray:
        """(len(days), len(tickers)) bool: ticker j is a member on ``days[t]``
        (datetime64[D], sorted); a ticker the file never names is never a member."""
        days = np.asarray(days, dtype="datetime64[D]")
        column = {ticker: j for j, ticker in enumerate(tickers)}
        members = np.zeros((days.size, len(tickers)), dtype=bool)
        for interval in self.intervals:
            j = column.get(interval.ticker)
            if j is None:
                continue
            first = np.searchsorted(days, np.datetime64(interval.start, "D"))
            stop = days.size
            if interval.end is not None:
                stop = np.searchsorted(days, np.datetime64(interval.end, "D"))
            members[first:stop, j] = True
        return members


def _interval(cells: list[str], line: int, fail: Callable[[str], None]) -> Interval:
    """One row's interval; ``fail(message)`` raises the error naming the line."""
    cells = [cell.strip() for cell in cells]
    if len(cells) == 2:
        cells.append("")
    if len(cells) != 3:
        fail(f"expected ticker,from,to, found {len(cells)} cell(s)")
    ticker = cells[0].upper()
    if TICKER_PATTERN.fullmatch(ticker) is None:
        fail(f"ticker {cells[0][:30]!r} is not a valid ticker")
    days = []
    for name, cell in zip(("from", "to"), cells[1:], strict=True):
        if name == "to" and cell == "":
            days.append(None)
            continue
        try:
            days.append(date.fromisoformat(cell))
        except ValueError:
            fail(f"{name} {cell[:30]!r} is not an ISO date (YYYY-MM-DD)")
    start, end = days
    if end is not None and end <= start:
        fail(f"to {end} must be after from {start}")
    return Interval(ticker, start, end, line)


def parse_membership(raw: bytes | str, file: str) -> Membership:
    """The intervals of membership-file text ``raw`` (format: the module docstring).

    :raise MembershipError: naming ``file`` and the line of the first problem (a bad header,
        ticker or date, ``to`` not after ``from``, two intervals of one ticker that overlap,
        no interval at all).
    """
    intervals: list[Interval] = []
    for line, row in data_rows(raw, file, MembershipError, (HEADER,), ",".join(HEADER)):

        def fail(message: str, line: int = line) -> None:
            raise MembershipError(file, line, message)

        intervals.append(_interval(row, line, fail))
    if not intervals:
        last = len(raw.splitlines()) if isinstance(raw, str) else raw.count(b"\n")
        raise MembershipError(file, max(last, 1), "the file lists no member")
    ordered = sorted(intervals, key=lambda i: (i.ticker, i.start))
    for before, after in itertools.pairwise(ordered):
        if before.ticker == after.ticker and (before.end is None or before.end > after.start):
            late = max(before, after, key=lambda i: i.line)
            other = min(before, after, key=lambda i: i.line)
            raise MembershipError(
                file, late.line, f"{after.ticker} overlaps its interval of line {other.line}"
            )
    return Membership(tuple(ordered), file)


__all__ = [
    "HEADER",
    "MEMBERS_SUFFIX",
    "Interval",
    "Membership",
    "MembershipError",
    "parse_membership",
]
