"""Tests for data.derive_events: events derived from a Yahoo-style file's Close and Adj Close
reproduce its Adj Close."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from data.adjust import total_return_adjusted
from data.derive_events import events_from_adjusted, first_difference
from data.errors import DataQualityError
from data.events import DIVIDEND, SPLIT, Event, Events
from data.loader import parse_adjusted_close, parse_series
from data.split_gaps import COMMON_RATIOS
from tests.bars import daily_bars


def yahoo_file(seed: int) -> tuple[str, Events]:
    """A Yahoo-style CSV of traded prices (six decimals, kept between 20 and 5,000) with
    three random splits of common ratios and a dividend every 63 bars, its Adj Close from
    ``total_return_adjusted``; and the events it was made with."""
    rng = np.random.default_rng(seed)
    n = 750
    close = 50 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, n)))
    days = np.datetime64("2015-01-01") + np.arange(n)
    events: list[Event] = []
    for at in sorted(rng.choice(np.arange(20, n), size=3, replace=False)):
        fits = [r for r in COMMON_RATIOS if 20 < close[at] / float(r) < 5_000]
        ratio = fits[rng.integers(len(fits))]
        close[at:] /= float(ratio)
        events.append(Event(days[at].astype(object), SPLIT, float(ratio)))
    close = np.round(close, 6)
    for at in range(45, n, 63):
        amount = round(float(close[at - 1] * rng.uniform(0.002, 0.02)), 4)
        events.append(Event(days[at].astype(object), DIVIDEND, amount))
    events.sort(key=lambda e: (e.day, e.type != SPLIT))
    made = Events(tuple(events))
    bars = daily_bars(close)
    bars = type(bars)(days, bars.open, bars.high, bars.low, bars.close, bars.volume)
    adjusted = np.round(total_return_adjusted(bars, made).close, 6)
    rows = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for day, c, a in zip(days, close, adjusted, strict=True):
        rows.append(f"{day},{c:.6f},{c:.6f},{c:.6f},{c:.6f},{a:.6f},1000")
    return "\n".join(rows) + "\n", made


@pytest.mark.parametrize("seed", range(50))
def test_events_derived_from_a_yahoo_file_reproduce_its_adj_close(seed: int) -> None:
    text, made = yahoo_file(seed)
    bars = parse_series(text).bars
    adjusted, lines = parse_adjusted_close(text)
    derived = events_from_adjusted(bars, adjusted, lines)
    np.testing.assert_allclose(total_return_adjusted(bars, derived).close, adjusted, rtol=1e-6)
    assert [(e.day, e.type) for e in derived] == [(e.day, e.type) for e in made]
    for got, want in zip(derived, made, strict=True):
        assert got.value == pytest.approx(want.value, rel=1e-4, abs=1e-5)


def test_a_file_whose_adj_close_equals_close_has_no_events() -> None:
    bars = daily_bars([10.0, 11.0, 12.0])
    assert len(events_from_adjusted(bars, bars.close.copy())) == 0


def test_a_rise_of_the_ratio_no_split_explains_names_its_line() -> None:
    bars = daily_bars([10.0, 11.0, 12.0])
    with pytest.raises(DataQualityError, match=r"line 4: Adj Close / Close changes by 1\.11111"):
        events_from_adjusted(bars, np.array([10.0, 11.0, 10.8]))


def test_events_are_dated_at_their_ex_bar() -> None:
    bars = daily_bars([100.0, 50.0, 51.0])
    derived = events_from_adjusted(bars, np.array([50.0, 50.0, 51.0]))
    assert list(derived) == [Event(date(1970, 1, 2), SPLIT, 2.0)]


def test_the_first_difference_of_adj_close_from_close_is_past_the_cells_rounding() -> None:
    """Six-decimal rounding is no difference; a dividend's factor, or a cell that is no
    positive number, is."""
    close = np.array([12.3456785, 20.0, 30.0, 40.0])
    assert first_difference(close, np.round(close, 6)) is None
    assert first_difference(close, np.array([12.345678, 19.999, 30.0, 40.0])) == 1
    assert first_difference(close, np.array([12.345678, 20.0, 0.0, 40.0])) == 2
    assert first_difference(close, np.array([12.345678, 20.0, 30.0, np.nan])) == 3
