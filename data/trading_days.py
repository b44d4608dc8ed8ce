"""The NYSE trading calendar, in pure Python: weekdays minus the exchange's full-day closures.

The regular holidays follow NYSE Rule 7.2 as observed since 1998 (the year MLK Day joined):

* New Year's Day (1 January; a Sunday moves it to Monday, a Saturday is not made up — the
  exchange stays open on the Friday 31 December before, as on 2021-12-31);
* Martin Luther King Jr. Day (third Monday of January);
* Washington's Birthday / Presidents' Day (third Monday of February);
* Good Friday (two days before Easter Sunday, the anonymous Gregorian algorithm);
* Memorial Day (last Monday of May);
* Juneteenth (19 June, from 2022);
* Independence Day (4 July);
* Labor Day (first Monday of September);
* Thanksgiving (fourth Thursday of November);
* Christmas (25 December).

Fixed-date holidays other than New Year's Day are observed on the Friday before when they
fall on a Saturday and on the Monday after when they fall on a Sunday. On top come the
one-off closures of ``SPECIAL_CLOSURES`` (national days of mourning, storms, 9/11). Early
closes (half days) are trading days. Example::

    >>> [str(day) for day in nyse_holidays(2021)][-3:]
    ['2021-09-06', '2021-11-25', '2021-12-24']
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

SPECIAL_CLOSURES = (
    date(2001, 9, 11),
    date(2001, 9, 12),
    date(2001, 9, 13),
    date(2001, 9, 14),  # the attacks of 11 September
    date(2004, 6, 11),  # President Reagan's funeral
    date(2007, 1, 2),  # President Ford's national day of mourning
    date(2012, 10, 29),
    date(2012, 10, 30),  # Hurricane Sandy
    date(2018, 12, 5),  # President George H. W. Bush's national day of mourning
    date(2025, 1, 9),  # President Carter's national day of mourning
)
"""Unscheduled full-day closures of the NYSE since 1998."""

_SATURDAY, _SUNDAY = 5, 6


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday by the anonymous Gregorian algorithm
    (Meeus/Jones/Butcher).

    >>> easter_sunday(2019)
    datetime.date(2019, 4, 21)
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of the month; ``n = -1`` is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A fixed-date holiday on a weekend moves to the nearest weekday (Sat→Fri, Sun→Mon)."""
    if day.weekday() == _SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == _SUNDAY:
        return day + timedelta(days=1)
    return day


def nyse_holidays(year: int) -> list[date]:
    """The NYSE's full-day closures in ``year`` that fall on a weekday, sorted.

    >>> nyse_holidays(2016)[:2]
    [datetime.date(2016, 1, 1), datetime.date(2016, 1, 18)]
    """
    new_year = date(year, 1, 1)
    days = [
        new_year + timedelta(days=1) if new_year.weekday() == _SUNDAY else new_year,
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        easter_sunday(year) - timedelta(days=2),  # Good Friday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _observed(date(year, 7, 4)),
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
        _observed(date(year, 12, 25)),
    ]
    if year >= 2022:
        days.append(_observed(date(year, 6, 19)))
    days.extend(day for day in SPECIAL_CLOSURES if day.year == year)
    return sorted(day for day in days if day.weekday() < _SATURDAY)


def trading_days(first: str, last: str) -> np.ndarray:
    """NYSE trading days from ``first`` to ``last`` inclusive (ISO dates; datetime64[D]).

    >>> [str(day) for day in trading_days("2019-04-17", "2019-04-22")]
    ['2019-04-17', '2019-04-18', '2019-04-22']
    """
    start, stop = np.datetime64(first, "D"), np.datetime64(last, "D") + 1
    years = range(start.astype(object).year, stop.astype(object).year + 1)
    closed = np.array([day for year in years for day in nyse_holidays(year)], dtype="datetime64[D]")
    days = np.arange(start, stop)
    return days[np.is_busday(days, holidays=closed)]
