"""adapters.market: OHLCV candles and signal / fill markers."""

from __future__ import annotations

import json
import operator

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.market import _fills, price_candles, signal_markers
from adapters.trades import trade_records
from engine import TradingParams, run
from tests.adapters.support import make_bars, signals

OPEN = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
CLOSE = [10.5, 11.5, 12.5, 13.5, 14.5, 15.5]


def _stamp(day: int) -> str:
    return f"2024-01-{day:02d}T21:00:00+00:00"


def test_price_candles_are_the_bars_as_columns():
    """One list per OHLCV column plus the ISO UTC timestamps."""
    bars = make_bars(CLOSE, open_=OPEN)
    candles = price_candles(bars)
    assert list(candles) == ["timestamps", "open", "high", "low", "close", "volume"]
    assert candles["timestamps"] == [_stamp(d) for d in range(1, 7)]
    for column in ("open", "high", "low", "close", "volume"):
        assert candles[column] == getattr(bars, column).tolist()
    assert json.loads(json.dumps(candles, allow_nan=False)) == candles


def test_signal_markers_separate_signals_from_fills_for_a_short_then_open_long():
    """Signals: exit on bar 0, entry on bar 3. Fills: short sold at bar 1's open, bought back
    at bar 4's open, where the long is bought too; the open long has no exit fill."""
    bars = make_bars(CLOSE, open_=OPEN)
    entries, exits = signals(6, [3]), signals(6, [0])
    params = TradingParams(position_size=1000, direction="longshort")
    records = trade_records(bars, run(bars, entries, exits, params))
    markers = signal_markers(bars, entries, exits, records)
    assert list(markers) == ["entries", "exits", "buys", "sells"]
    assert markers["entries"] == [_stamp(4)]
    assert markers["exits"] == [_stamp(1)]
    assert markers["sells"] == [{"timestamp": _stamp(2), "price": 11.0, "size": 90}]
    assert markers["buys"] == [
        {"timestamp": _stamp(5), "price": 14.0, "size": 90},  # covers the short
        {"timestamp": _stamp(5), "price": 14.0, "size": 71},  # opens the long
    ]
    assert json.loads(json.dumps(markers, allow_nan=False)) == markers


def test_long_round_trips_buy_at_entry_and_sell_at_exit_in_time_order():
    """Two closed longs: buys and sells alternate in time; prices are the fill prices."""
    bars = make_bars(CLOSE, open_=OPEN)
    entries, exits = signals(6, [0, 3]), signals(6, [1, 4])
    records = trade_records(bars, run(bars, entries, exits, TradingParams(position_size=1000)))
    markers = signal_markers(bars, entries, exits, records)
    assert [(b["timestamp"], b["price"]) for b in markers["buys"]] == [
        (_stamp(2), 11.0),
        (_stamp(5), 14.0),
    ]
    assert [(s["timestamp"], s["price"]) for s in markers["sells"]] == [
        (_stamp(3), 12.0),
        (_stamp(6), 15.0),
    ]


def test_a_bust_liquidation_is_a_buy_fill_at_the_close():
    """A short wiped out on bar 2 is bought back at that close (it is a real, forced fill)."""
    bars = make_bars([10.0, 11.0, 30.0, 40.0, 50.0])
    params = TradingParams(size_type="percent", position_size=100, direction="longshort")
    entries, exits = signals(5, []), signals(5, [0])
    result = run(bars, entries, exits, params)
    assert result.bust_bar == 2
    records = trade_records(bars, result)
    markers = signal_markers(bars, entries, exits, records)
    assert markers["buys"] == [{"timestamp": _stamp(3), "price": 30.0, "size": records[0]["size"]}]


def test_a_fill_held_over_splits_is_marked_at_the_price_and_shares_it_filled_at():
    """A trade record shows its entry after the splits it was held over (5 shares at 30
    became 7 at 20 in a 3:2 split, half a share paid in cash); its buy marker is the fill:
    5 shares at 30. A split after the exit, or with no ``events_applied``, changes nothing."""
    bars = make_bars(CLOSE, open_=OPEN)
    record = {
        "side": "BUY",
        "size": 7,
        "entry_timestamp": _stamp(2),
        "entry_price": 20.0,
        "exit_timestamp": _stamp(5),
        "exit_price": 22.0,
        "is_open": False,
    }
    split = {"date": _stamp(3), "type": "split", "value": 1.5, "shares_before": 5}
    later = {"date": _stamp(6), "type": "split", "value": 2.0, "shares_before": 7}
    dividend = {"date": _stamp(4), "type": "dividend", "value": 0.1, "shares_before": 7}
    no_signal = signals(6, [])
    markers = signal_markers(bars, no_signal, no_signal, [record], [split, dividend, later])
    assert markers["buys"] == [{"timestamp": _stamp(2), "price": 30.0, "size": 5}]
    assert markers["sells"] == [{"timestamp": _stamp(5), "price": 22.0, "size": 7}]
    plain = signal_markers(bars, no_signal, no_signal, [record])
    assert plain["buys"] == [{"timestamp": _stamp(2), "price": 20.0, "size": 7}]


def _fills_one_at_a_time(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """The reference: the record-by-record loop (``_fills``, the code every run took
    before one-sided runs were built by comprehensions), each list sorted by time."""
    buys, sells = _fills(records, [])
    by_time = operator.itemgetter("timestamp")
    return sorted(buys, key=by_time), sorted(sells, key=by_time)


_RECORD = st.fixed_dictionaries(
    {
        "side": st.sampled_from(["BUY", "SELL"]),
        "size": st.integers(1, 10**6),
        "entry_timestamp": st.integers(1, 9).map(_stamp),
        "exit_timestamp": st.integers(1, 9).map(_stamp),
        "entry_price": st.floats(allow_nan=True),
        "exit_price": st.one_of(st.none(), st.floats(allow_nan=True)),
        "is_open": st.booleans(),
    }
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_RECORD, max_size=30), st.sampled_from([None, "BUY", "SELL"]))
def test_fills_are_the_records_openings_and_closings_in_time_order(records, one_side):
    """Any records (one side, or both; open or closed; equal timestamps): the buys and
    sells are those the record-by-record reference gives, in the same order."""
    if one_side is not None:
        records = [{**record, "side": one_side} for record in records]
    bars = make_bars(CLOSE, open_=OPEN)
    no = np.zeros(len(CLOSE), dtype=bool)
    markers = signal_markers(bars, no, no, records)
    buys, sells = _fills_one_at_a_time(records)
    assert markers["buys"] == buys and markers["sells"] == sells
