"""Back-adjusted prices from bars as traded and their events (``data.events``): pure numpy.

An event acts at its **ex-bar**, the first bar dated on or after its date (an event on a day
without a bar acts at the next bar); an event at or before the first bar, or after the last,
changes no bar of the file. Back-adjustment multiplies every price before the ex-bar and
leaves the ex-bar and later as traded (the last bar is always as traded), Yahoo's
convention:

* a split of ratio ``r`` (new shares per old share) divides earlier prices by ``r`` and
  multiplies earlier volumes by ``r``;
* a cash dividend ``d`` multiplies earlier prices by ``1 - d / c``, ``c`` the close of the
  bar before the ex-bar (volumes unchanged): over the ex-bar the adjusted close returns
  ``close / (c - d)``, Yahoo's figure for a holder's total return ``(close + d) / c`` (the
  two agree to first order in ``d / c``).

``split_adjusted`` applies the splits, ``total_return_adjusted`` the splits and dividends
(its close is Yahoo's ``Adj Close`` for a file of traded closes); ``adjusted`` picks one by
a run request's ``price_adjustment`` name (``ADJUSTMENTS``) and returns the factors with it.
``check_events`` refuses events no adjustment can use, naming the events file's line: among
them splits whose product over consecutive splits passes ``MAX_SPLIT_PRODUCT``.
``window_actions`` gives the engine the events acting on a run's window (the engine applies
them to the position: docs/execution.md, "Corporate actions on a position").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from data.events import DELISTING, DIVIDEND, SPLIT, Events, EventsError
from engine import Bars

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import CorporateActions


MAX_SPLIT_PRODUCT = 1_000_000.0
"""The largest product of a file's consecutive split ratios, either way (1,000,000:1 ..
1:1,000,000): every price factor of a file, and every change of a position's shares over a
window, stays within it. A century of a real share's splits multiplies to a few thousand;
repeated reverse splits of a penny stock to 1:100,000 at the very most."""


def _days(bars: Bars) -> np.ndarray:
    """Each bar's UTC date as ``datetime64[D]``."""
    return bars.timestamps.astype("datetime64[D]")


def ex_bars(bars: Bars, events: Events) -> np.ndarray:
    """The index of each event's ex-bar: the first bar dated on or after it (``len(bars)``
    for an event after the last bar)."""
    days = np.array([event.day for event in events], dtype="datetime64[D]")
    return np.searchsorted(_days(bars), days, side="left").astype(np.int64)


def price_factors(bars: Bars, events: Events, *, dividends: bool) -> np.ndarray:
    """The factor each bar's prices are multiplied by: the product of the factors of every
    event whose ex-bar comes after it (splits ``1 / r``; with ``dividends``, dividends
    ``1 - d / c``). 1.0 for the last bar and every bar without a later event."""
    n = len(bars)
    step = np.ones(n + 1)
    for event, at in zip(events, ex_bars(bars, events), strict=True):
        if not 0 < at < n:
            continue
        if event.type == SPLIT:
            step[at] /= event.value
        elif event.type == DIVIDEND and dividends:
            step[at] *= 1.0 - event.value / bars.close[at - 1]
    # factor[t] = step[t+1] * ... * step[n-1]
    return np.cumprod(step[:0:-1])[::-1]


def _scaled(bars: Bars, factor: np.ndarray, volume_factor: np.ndarray) -> Bars:
    return Bars(
        bars.timestamps,
        bars.open * factor,
        bars.high * factor,
        bars.low * factor,
        bars.close * factor,
        bars.volume * volume_factor,
    )


def split_adjusted(bars: Bars, events: Events) -> Bars:
    """``bars`` back-adjusted for their splits: earlier prices divided by each split's ratio,
    earlier volumes multiplied by it (the module docstring)."""
    factor = price_factors(bars, events, dividends=False)
    return _scaled(bars, factor, 1.0 / factor)


def total_return_adjusted(bars: Bars, events: Events) -> Bars:
    """``bars`` back-adjusted for splits and cash dividends (Yahoo's ``Adj Close``
    convention, the module docstring); volumes adjusted for the splits only."""
    factor = price_factors(bars, events, dividends=True)
    return _scaled(bars, factor, 1.0 / price_factors(bars, events, dividends=False))


RAW, SPLIT_ADJUSTED, TOTAL_RETURN = "raw", "split", "total_return"
ADJUSTMENTS = (RAW, SPLIT_ADJUSTED, TOTAL_RETURN)
"""How a run's indicators see its prices (the request's ``price_adjustment``): ``raw`` as
traded, ``split`` back-adjusted for splits, ``total_return`` for splits and dividends."""


def adjusted(bars: Bars, events: Events, adjustment: str) -> tuple[Bars, np.ndarray]:
    """(``bars`` as ``adjustment`` (``ADJUSTMENTS``) shows them, each bar's price factor):
    adjusted price = traded price × factor, so a price computed on the adjusted bars at bar
    t is in traded units at t once divided by ``factor[t]``. ``raw``: the bars themselves
    and factors of 1.

    >>> import datetime
    >>> from data.events import Event
    >>> days, prices = np.arange(3).astype("datetime64[D]"), [100.0, 50.0, 51.0]
    >>> traded = Bars(days, prices, prices, prices, prices, [1.0, 2.0, 2.0])
    >>> split = Events((Event(datetime.date(1970, 1, 2), SPLIT, 2.0),))
    >>> bars, factor = adjusted(traded, split, "split")
    >>> bars.close.tolist(), factor.tolist()
    ([50.0, 50.0, 51.0], [0.5, 1.0, 1.0])
    """
    if adjustment not in ADJUSTMENTS:
        raise ValueError(f"price adjustment must be one of {', '.join(ADJUSTMENTS)}")
    if adjustment == RAW:
        return bars, np.ones(len(bars))
    factor = price_factors(bars, events, dividends=adjustment == TOTAL_RETURN)
    splits = (
        factor if adjustment == SPLIT_ADJUSTED else price_factors(bars, events, dividends=False)
    )
    return _scaled(bars, factor, 1.0 / splits), factor


def _check_split_product(events: Events) -> None:
    """Refuse splits whose ratios, over any run of consecutive splits, multiply beyond
    ``MAX_SPLIT_PRODUCT`` either way, naming the line of the split that passes it.

    :raise EventsError: naming the events file, that split's line and the run's first line.
    """
    splits = events.of_type(SPLIT)
    product = 1.0
    low, high = (1.0, 0), (1.0, 0)  # the smallest and largest product before a split, at
    for k, split in enumerate(splits):  # the index of the split after it
        product *= split.value
        for (_, first), beyond in ((low, product / low[0]), (high, product / high[0])):
            if not 1 / MAX_SPLIT_PRODUCT <= beyond <= MAX_SPLIT_PRODUCT:
                raise EventsError(
                    events.file,
                    split.line,
                    f"the splits of lines {splits[first].line} to {split.line} multiply to "
                    f"{beyond:g}, beyond what a real share has: consecutive splits multiply "
                    f"to between 1:{MAX_SPLIT_PRODUCT:,.0f} and {MAX_SPLIT_PRODUCT:,.0f}:1",
                )
        low = min(low, (product, k + 1))
        high = max(high, (product, k + 1))


def check_events(bars: Bars, events: Events) -> None:
    """Refuse events that do not fit ``bars``: a split or dividend dated after the last bar,
    a dividend of at least the close before its ex-bar, bars after a delisting, and splits
    multiplying beyond ``MAX_SPLIT_PRODUCT``.

    :raise EventsError: naming the events file and the event's line.
    """
    _check_split_product(events)
    n = len(bars)
    last = _days(bars)[-1] if n else None
    for event, at in zip(events, ex_bars(bars, events), strict=True):

        def fail(message: str, event=event) -> None:
            raise EventsError(events.file, event.line, message)

        if event.type == DELISTING:
            if n and last > np.datetime64(event.day, "D"):
                fail(f"bars continue after the delisting on {event.day} (the last is {last})")
        elif at == n:
            fail(f"the {event.type} on {event.day} is after the last bar ({last})")
        elif event.type == DIVIDEND and at > 0 and event.value >= bars.close[at - 1]:
            fail(
                f"the dividend {event.value:g} on {event.day} is not below the close before "
                f"it ({bars.close[at - 1]:g})"
            )


def window_actions(bars: Bars, events: Events, start: int, stop: int) -> CorporateActions | None:
    """The events acting on the window ``[start, stop)`` of the file's ``bars``, per window
    bar: each split and dividend whose ex-bar is inside it after its first bar (nothing is
    held at the first open), and the delisting when the window ends on the file's last bar
    (a delisting has no bar after it), paying its cash per share or the last close. None
    when none acts: the run takes the engine's usual paths.

    >>> import datetime
    >>> from data.events import Event
    >>> days, prices = np.arange(3).astype("datetime64[D]"), [100.0, 50.0, 51.0]
    >>> traded = Bars(days, prices, prices, prices, prices, [1.0, 2.0, 2.0])
    >>> split = Events((Event(datetime.date(1970, 1, 2), SPLIT, 2.0),))
    >>> window_actions(traded, split, 0, 3).split.tolist()
    [1.0, 2.0, 1.0]
    >>> window_actions(traded, split, 1, 3) is None
    True
    """
    if not len(events):
        return None
    from engine.corporate import CorporateActions

    n = stop - start
    split, dividend = np.ones(n), np.zeros(n)
    delisting = None
    for event, at in zip(events, ex_bars(bars, events), strict=True):
        if event.type == DELISTING:
            if stop == len(bars) and n > 0:
                delisting = float(bars.close[stop - 1] if event.value is None else event.value)
        elif start < at < stop and event.type == SPLIT:
            split[at - start] *= event.value
        elif start < at < stop and event.type == DIVIDEND:
            dividend[at - start] += event.value
    actions = CorporateActions(split, dividend, delisting)
    return actions if actions.acts else None


__all__ = [
    "ADJUSTMENTS",
    "MAX_SPLIT_PRODUCT",
    "RAW",
    "SPLIT_ADJUSTED",
    "TOTAL_RETURN",
    "adjusted",
    "check_events",
    "ex_bars",
    "price_factors",
    "split_adjusted",
    "total_return_adjusted",
    "window_actions",
]
