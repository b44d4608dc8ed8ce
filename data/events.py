"""A ticker's corporate actions: the events file beside its bars, parsed and written.

Bars stay as traded; what changed a share's price without the market moving it lives in one
events file per ticker (``<TICKER>.events.csv`` in the catalog's folder, named by the entry's
``events`` field). One event a line, comma-separated, under the header ``date,type,value,value2``
(``value2`` may be left out of the header and of any row)::

    date,type,value,value2
    2020-02-07,dividend,0.77
    2020-08-31,split,4
    2021-06-01,split,3,2
    2023-05-01,delisting,12.5

* ``split``: ``value`` is the ratio of new shares to old ones (``4`` for 4:1, ``0.1`` for a
  1:10 reverse split); ``value,value2`` gives it as two whole counts (``3,2`` for 3:2),
  within ``MAX_SPLIT_RATIO`` either way. The date is the ex-date: the first bar traded at
  the new price.
* ``dividend``: ``value`` is the cash paid per share, in the file's price units (as traded,
  not adjusted), on its ex-date.
* ``delisting``: the date the ticker stopped trading; ``value`` (optional) is the cash paid
  per share then (absent: the last close). It is the last event, and no bar is dated after it.

Blank lines and lines starting with ``#`` are skipped; dates are ``YYYY-MM-DD``. Every error
(``EventsError``) names the file and the 1-based line. Pure functions over text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from data.side_files import SideFileError, data_rows

SPLIT = "split"
DIVIDEND = "dividend"
DELISTING = "delisting"
EVENT_TYPES = (SPLIT, DIVIDEND, DELISTING)
"""The event types, in the order events of one date are kept (a split before a dividend)."""

HEADER = ("date", "type", "value", "value2")
"""The header of an events file (``value2`` optional)."""

EVENTS_SUFFIX = ".events.csv"
"""An imported events file's name: ``<TICKER>.events.csv`` beside ``<TICKER>.csv``."""

MAX_SPLIT_RATIO = 10_000.0
"""The largest split ratio, either way (10,000:1 .. 1:10,000). Real splits stay well inside:
forward splits rarely pass 100:1, reverse splits of penny stocks reach 1:1,000 and, very
rarely, a few times that. A ratio beyond is a typo or a unit error, not a share."""


class EventsError(SideFileError):
    """An events file fails a check: ``file`` and ``row`` (1-based line) name where."""


@dataclass(frozen=True)
class Event:
    """One corporate action. ``value``: the split ratio (new shares per old share), the cash
    dividend per share, or the delisting's cash per share (None: the last close). ``line``
    is the line of the events file it came from (0 when made in code)."""

    day: date
    type: str
    value: float | None
    line: int = 0


@dataclass(frozen=True)
class Events:
    """A ticker's events in date order (a date's split, then dividend, then delisting), and
    the name of the file they came from ("" when none)."""

    events: tuple[Event, ...] = ()
    file: str = ""

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def of_type(self, kind: str) -> tuple[Event, ...]:
        """The events of type ``kind`` (``SPLIT``, ``DIVIDEND`` or ``DELISTING``)."""
        return tuple(event for event in self.events if event.type == kind)

    @property
    def delisting(self) -> Event | None:
        """The delisting, if the ticker was delisted."""
        return next(iter(self.of_type(DELISTING)), None)


NO_EVENTS = Events()
"""A ticker without an events file."""


def _order(event: Event) -> tuple[date, int]:
    return event.day, EVENT_TYPES.index(event.type)


def _number(cell: str, what: str, fail: Callable[[str], None]) -> float:
    try:
        value = float(cell)
    except ValueError:
        fail(f"{what} {cell[:30]!r} is not a number")
    if not math.isfinite(value):
        fail(f"{what} {cell[:30]!r} is not a finite number")
    return value


def _event(cells: list[str], fail: Callable[[str], None]) -> Event:
    """One row's event; ``fail(message)`` raises the error naming the line."""
    cells = [cell.strip() for cell in cells]
    while cells and cells[-1] == "":
        cells.pop()
    if len(cells) < 2 or len(cells) > 4:
        fail(f"expected date,type,value[,value2], found {len(cells)} cell(s)")
    try:
        day = date.fromisoformat(cells[0])
    except ValueError:
        fail(f"date {cells[0][:30]!r} is not an ISO date (YYYY-MM-DD)")
    kind = cells[1].lower()
    values = cells[2:]
    if kind == SPLIT:
        if not values:
            fail("a split needs its ratio (value: 4 for 4:1, or value,value2: 3,2 for 3:2)")
        ratio = _number(values[0], "split ratio", fail)
        if len(values) == 2:
            old = _number(values[1], "split value2", fail)
            if old <= 0:
                fail(f"split value2 {values[1]!r} must be greater than 0")
            ratio /= old
        if ratio <= 0 or ratio == 1:
            fail(f"split ratio {ratio:g} must be greater than 0 and not 1")
        if not 1 / MAX_SPLIT_RATIO <= ratio <= MAX_SPLIT_RATIO:
            fail(
                f"split ratio {ratio:g} is beyond what a real split is: a ratio lies between "
                f"1:{MAX_SPLIT_RATIO:,.0f} ({1 / MAX_SPLIT_RATIO:g}) and "
                f"{MAX_SPLIT_RATIO:,.0f}:1 ({MAX_SPLIT_RATIO:g})"
            )
        return Event(day, SPLIT, ratio)
    if kind == DIVIDEND:
        if len(values) != 1:
            fail("a dividend has one value: the cash per share")
        amount = _number(values[0], "dividend", fail)
        if amount <= 0:
            fail(f"dividend {values[0]!r} must be greater than 0")
        return Event(day, DIVIDEND, amount)
    if kind == DELISTING:
        if len(values) > 1:
            fail("a delisting has at most one value: the cash paid per share")
        cash = _number(values[0], "delisting cash", fail) if values else None
        if cash is not None and cash < 0:
            fail(f"delisting cash {values[0]!r} must be 0 or more")
        return Event(day, DELISTING, cash)
    fail(f"unknown event type {cells[1][:30]!r}; expected {', '.join(EVENT_TYPES)}")
    raise AssertionError  # pragma: no cover - fail always raises


def parse_events(raw: bytes | str, file: str) -> Events:
    """The events of events-file text ``raw`` (format: the module docstring), sorted.

    :raise EventsError: naming ``file`` and the line of the first problem (a bad header,
        cell, type or value; two events of one type on one date; more than one delisting,
        or an event after it).
    """
    events: list[Event] = []
    expected = f"{','.join(HEADER)} (value2 optional)"
    for line, row in data_rows(raw, file, EventsError, (HEADER, HEADER[:3]), expected):

        def fail(message: str, line: int = line) -> None:
            raise EventsError(file, line, message)

        event = _event(row, fail)
        events.append(Event(event.day, event.type, event.value, line))
    return Events(_checked(sorted(events, key=_order), file), file)


def _checked(events: list[Event], file: str) -> tuple[Event, ...]:
    """``events`` (sorted) once no two of one type share a date and a delisting comes last."""
    for before, after in itertools.pairwise(events):
        if (before.day, before.type) == (after.day, after.type):
            raise EventsError(
                file, max(before.line, after.line), f"a second {after.type} on {after.day}"
            )
    delistings = [event for event in events if event.type == DELISTING]
    if len(delistings) > 1:
        raise EventsError(file, delistings[1].line, "a second delisting")
    if delistings and events[-1].type != DELISTING:
        late = events[-1]
        raise EventsError(
            file,
            late.line,
            f"a {late.type} on {late.day}, after the delisting on {delistings[0].day}",
        )
    return tuple(events)


def combined_hash(bars_sha256: str, events_raw: bytes | None) -> str:
    """A ticker's ``data_hash``: the SHA-256 of its CSV's bytes when it has no events file,
    else the SHA-256 of ``"bars <CSV's SHA-256>\nevents <events file's SHA-256>\n"``."""
    if events_raw is None:
        return bars_sha256
    events_sha256 = hashlib.sha256(events_raw).hexdigest()
    return hashlib.sha256(f"bars {bars_sha256}\nevents {events_sha256}\n".encode()).hexdigest()


def _value(value: float) -> str:
    """A value as short exact-enough text (12 significant digits)."""
    return f"{value:.12g}"


def format_events(events: Iterable[Event]) -> str:
    """Events-file text of ``events``, in date order (what ``parse_events`` reads back)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER[:3])
    for event in sorted(events, key=_order):
        value = "" if event.value is None else _value(event.value)
        writer.writerow(
            [event.day.isoformat(), event.type, value]
            if value
            else [event.day.isoformat(), event.type]
        )
    return out.getvalue()


__all__ = [
    "DELISTING",
    "DIVIDEND",
    "EVENTS_SUFFIX",
    "EVENT_TYPES",
    "HEADER",
    "MAX_SPLIT_RATIO",
    "NO_EVENTS",
    "SPLIT",
    "Event",
    "Events",
    "EventsError",
    "combined_hash",
    "format_events",
    "parse_events",
]
