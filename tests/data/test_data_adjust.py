"""Tests for data.adjust: split- and total-return-adjusted bars worked out by hand, and the
checks of events against bars."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pytest

from data.adjust import check_events, ex_bars, split_adjusted, total_return_adjusted
from data.events import DELISTING, DIVIDEND, SPLIT, Event, Events, EventsError
from tests.bars import daily_bars


def on(day: int) -> date:
    """The date of ``daily_bars``' bar ``day`` (bar 0 is 1970-01-01)."""
    return date(1970, 1, 1 + day)


BARS = daily_bars([100.0, 104.0, 26.0, 27.0, 25.0], volume=[10, 10, 40, 40, 40])
"""A 4:1 split on bar 2 (104 -> 26); a 0.5 dividend on bar 4 (close before it 27)."""

EVENTS = Events((Event(on(2), SPLIT, 4.0, 2), Event(on(4), DIVIDEND, 0.5, 3)), "e.csv")


def test_split_adjusted_divides_earlier_prices_and_multiplies_earlier_volumes() -> None:
    adjusted = split_adjusted(BARS, EVENTS)
    np.testing.assert_array_equal(adjusted.close, [25.0, 26.0, 26.0, 27.0, 25.0])
    np.testing.assert_array_equal(adjusted.open, adjusted.close)
    np.testing.assert_array_equal(adjusted.volume, [40, 40, 40, 40, 40])
    np.testing.assert_array_equal(adjusted.timestamps, BARS.timestamps)


def test_total_return_adjusted_also_scales_by_one_minus_dividend_over_previous_close() -> None:
    """Before the dividend's ex-bar prices are multiplied by 1 - 0.5/27; before the split
    also divided by 4 (Yahoo's Adj Close)."""
    k = 1 - 0.5 / 27
    adjusted = total_return_adjusted(BARS, EVENTS)
    np.testing.assert_allclose(
        adjusted.close, [100 / 4 * k, 104 / 4 * k, 26 * k, 27 * k, 25.0], rtol=1e-15
    )
    np.testing.assert_array_equal(adjusted.volume, [40, 40, 40, 40, 40])
    # over the ex-bar the adjusted series returns c / (c_before - d), Yahoo's convention
    assert adjusted.close[4] / adjusted.close[3] == pytest.approx(25 / (27 - 0.5), rel=1e-15)


def test_an_event_on_a_day_without_a_bar_acts_at_the_next_bar() -> None:
    bars = daily_bars([10.0, 10.0, 10.0]).slice(0, 3)
    gap = type(bars)(
        np.array(["1970-01-01", "1970-01-02", "1970-01-05"], dtype="datetime64[s]"),
        bars.open,
        bars.high,
        bars.low,
        np.array([20.0, 20.0, 10.0]),
        bars.volume,
    )
    events = Events((Event(date(1970, 1, 3), SPLIT, 2.0),))
    assert list(ex_bars(gap, events)) == [2]
    np.testing.assert_array_equal(split_adjusted(gap, events).close, [10.0, 10.0, 10.0])


def test_events_before_the_first_bar_change_nothing() -> None:
    events = Events((Event(date(1969, 1, 1), SPLIT, 2.0), Event(on(0), DIVIDEND, 1.0)))
    np.testing.assert_array_equal(total_return_adjusted(BARS, events).close, BARS.close)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (Event(on(9), SPLIT, 2.0, 7), "the split on 1970-01-10 is after the last bar"),
        (Event(on(3), DIVIDEND, 26.0, 7), "the dividend 26 on 1970-01-04 is not below"),
        (Event(on(2), DELISTING, None, 7), "bars continue after the delisting on 1970-01-03"),
    ],
)
def test_events_that_do_not_fit_the_bars_name_their_line(event: Event, message: str) -> None:
    with pytest.raises(EventsError, match=rf"^e\.csv line 7: {message}"):
        check_events(BARS, Events((event,), "e.csv"))


def splits(*ratios: float) -> Events:
    """Splits of ``ratios`` on bars 1, 2, ... of ``BARS``, on lines 2, 3, ... of e.csv."""
    return Events(tuple(Event(on(k + 1), SPLIT, r, k + 2) for k, r in enumerate(ratios)), "e.csv")


@pytest.mark.parametrize(
    ("ratios", "message"),
    [
        ((1000.0, 1000.0, 10.0), "line 4: the splits of lines 2 to 4 multiply to 1e+07"),
        ((1e-3, 1e-3, 0.5), "line 4: the splits of lines 2 to 4 multiply to 5e-07"),
        ((100.0, 1e-4, 1e-2, 0.1), "line 5: the splits of lines 3 to 5 multiply to 1e-07"),
        ((1e-4, 1e4, 1e3), "line 4: the splits of lines 3 to 4 multiply to 1e+07"),
    ],
)
def test_splits_multiplying_beyond_a_million_either_way_name_the_line_passing_it(
    ratios: tuple[float, ...], message: str
) -> None:
    """Any run of consecutive splits is bounded, not only the whole file's product (1e-5
    and 1,000 in the last two cases)."""
    with pytest.raises(EventsError, match="^" + re.escape(f"e.csv {message}, beyond what a")):
        check_events(BARS, splits(*ratios))


def test_splits_multiplying_to_a_million_either_way_fit() -> None:
    check_events(BARS, splits(1000.0, 1000.0))
    check_events(BARS, splits(1e-3, 1e-3, 2.0, 0.5))
    check_events(BARS, splits(1e4, 1e-2, 1e-4, 1e2))


def test_a_delisting_on_or_after_the_last_bar_fits() -> None:
    check_events(BARS, Events((Event(on(4), DELISTING, 12.5),)))
    check_events(BARS, Events((Event(on(30), DELISTING, None),)))


def test_adjusted_picks_the_adjustment_by_name_with_its_price_factors() -> None:
    """``raw`` is the bars themselves (factors 1); ``split`` and ``total_return`` are
    ``split_adjusted`` and ``total_return_adjusted``, their prices the traded ones × the
    factors; another name is refused."""
    from data.adjust import adjusted

    bars, factor = adjusted(BARS, EVENTS, "raw")
    assert bars is BARS and (factor == 1.0).all()
    for name, expected in (("split", split_adjusted), ("total_return", total_return_adjusted)):
        bars, factor = adjusted(BARS, EVENTS, name)
        reference = expected(BARS, EVENTS)
        for column in ("open", "high", "low", "close", "volume"):
            np.testing.assert_array_equal(getattr(bars, column), getattr(reference, column))
        np.testing.assert_array_equal(bars.close, BARS.close * factor)
    with pytest.raises(ValueError, match="raw, split, total_return"):
        adjusted(BARS, EVENTS, "dividends")
