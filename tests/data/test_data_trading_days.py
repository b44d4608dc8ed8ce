"""Tests for data.trading_days: the NYSE calendar against published dates and counts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from data.trading_days import easter_sunday, nyse_holidays, trading_days

# Trading days per year as the NYSE published them (2018: with the 5 December closure).
NYSE_YEAR_LENGTHS = {
    2014: 252,
    2015: 252,
    2016: 252,
    2017: 251,
    2018: 251,
    2019: 252,
    2020: 253,
    2021: 252,
    2022: 251,
    2023: 250,
    2024: 252,
}


@pytest.mark.parametrize(
    ("year", "easter"),
    [(1818, "1818-03-22"), (2000, "2000-04-23"), (2019, "2019-04-21"), (2038, "2038-04-25")],
)
def test_easter_matches_the_gregorian_tables(year: int, easter: str) -> None:
    """Easter Sunday, including the earliest (22 March) and latest (25 April) possible."""
    assert easter_sunday(year) == date.fromisoformat(easter)


def test_the_2023_holidays_are_the_exchange_list() -> None:
    """Every regular holiday, with New Year observed on Monday and Juneteenth included."""
    assert [str(day) for day in nyse_holidays(2023)] == [
        "2023-01-02",
        "2023-01-16",
        "2023-02-20",
        "2023-04-07",
        "2023-05-29",
        "2023-06-19",
        "2023-07-04",
        "2023-09-04",
        "2023-11-23",
        "2023-12-25",
    ]


def test_weekend_holidays_move_to_the_nearest_weekday_except_new_year_on_saturday() -> None:
    """Sat -> Friday and Sun -> Monday for 4 July, 25 December and Juneteenth; a Saturday
    New Year's Day closes no day (the exchange traded on 2021-12-31)."""
    assert date(2015, 7, 3) in nyse_holidays(2015)
    assert date(2021, 7, 5) in nyse_holidays(2021)
    assert date(2021, 12, 24) in nyse_holidays(2021)
    assert date(2022, 12, 26) in nyse_holidays(2022)
    assert date(2022, 6, 20) in nyse_holidays(2022)
    assert date(2021, 12, 31) not in nyse_holidays(2021)
    assert all(day.month != 1 or day.day != 1 for day in nyse_holidays(2022))


def test_juneteenth_is_a_holiday_from_2022_only() -> None:
    """2021-06-18 (the Friday before a Saturday Juneteenth) was a trading day."""
    assert not [day for day in nyse_holidays(2021) if day.month == 6]
    assert date(2024, 6, 19) in nyse_holidays(2024)


@pytest.mark.parametrize(("year", "length"), sorted(NYSE_YEAR_LENGTHS.items()))
def test_a_year_has_the_published_number_of_trading_days(year: int, length: int) -> None:
    """The calendar reproduces the NYSE's count of sessions for every year of the demo data."""
    assert len(trading_days(f"{year}-01-01", f"{year}-12-31")) == length


def test_trading_days_skip_weekends_and_holidays_within_a_range() -> None:
    """Thanksgiving week 2020: no Thursday, no weekend; the bounds are inclusive."""
    days = trading_days("2020-11-23", "2020-11-30")
    assert [str(day) for day in days] == [
        "2020-11-23",
        "2020-11-24",
        "2020-11-25",
        "2020-11-27",
        "2020-11-30",
    ]
    assert days.dtype == np.dtype("datetime64[D]")


def test_special_closures_are_holidays() -> None:
    """Unscheduled closures count: Hurricane Sandy and a national day of mourning."""
    assert date(2012, 10, 29) in nyse_holidays(2012)
    assert date(2012, 10, 30) in nyse_holidays(2012)
    assert date(2018, 12, 5) in nyse_holidays(2018)
