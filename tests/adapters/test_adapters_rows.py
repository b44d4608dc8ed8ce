"""adapters.columnar.Rows: a run's trade records and fills held as columns read, compare
and write as the lists of dicts they stand for (the JSON text byte for byte), and the
statistics and markers read from their columns equal those read from the dicts."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.columnar import Column, FloatColumn, Rows, TimeColumn, object_json, plain
from adapters.market import signal_markers
from adapters.metrics import enhanced_metrics
from adapters.orders import with_entry_order
from adapters.trades import trade_records
from engine import TradingParams, run
from tests.adapters.support import make_bars


def _dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")


def test_rows_of_every_kind_of_column_read_and_write_as_their_list():
    """Integers, floats with null and tiny values, timestamps, booleans, strings and a list
    mixing True with 1 (one key of a dict): the list of dicts, and json.dumps's text."""
    rows = Rows({
        "n": Column(np.arange(3)),
        "x": FloatColumn(np.array([1.5, np.nan, 2.5e-7])),
        "t": TimeColumn(np.array(["2020-01-01", "2021-06-30T12:00", "1999-12-31"], "M8[s]")),
        "open": Column(np.array([True, False, True])),
        "side": ["BUY", "SELL", "BUY"],
        "mixed": [True, 1, None],
    })  # fmt: skip
    listed = [
        {"n": 0, "x": 1.5, "t": "2020-01-01T00:00:00+00:00", "open": True, "side": "BUY",
         "mixed": True},
        {"n": 1, "x": None, "t": "2021-06-30T12:00:00+00:00", "open": False, "side": "SELL",
         "mixed": 1},
        {"n": 2, "x": 2.5e-7, "t": "1999-12-31T00:00:00+00:00", "open": True, "side": "BUY",
         "mixed": None},
    ]  # fmt: skip
    assert rows == listed and rows.tolist() == listed and len(rows) == 3 and rows[1] == listed[1]
    assert rows.json() == _dumps(listed)
    assert object_json({"trades": rows}) == _dumps({"trades": listed}).decode()
    assert plain({"trades": rows}) == {"trades": listed}
    assert Rows({"n": []}).json() == b"[]" and Rows({"n": []}) == []


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(st.floats(-0.08, 0.08), min_size=3, max_size=60),
    entry_at=st.lists(st.integers(0, 59), max_size=12),
    exit_at=st.lists(st.integers(0, 59), max_size=12),
    direction=st.sampled_from(["longonly", "longshort"]),
    fee=st.sampled_from([0.0, 0.001, 1e-7]),
    borrow=st.sampled_from([None, 0.05]),
)
def test_records_held_as_columns_are_the_listed_records_to_the_byte(
    moves, entry_at, exit_at, direction, fee, borrow
):
    """Engine runs of any prices, signals, side and costs (tiny fees give tiny PnLs, a
    borrow rate its fee fields): the held records equal the listed ones and write their
    JSON (with an entry order's column too); the markers of both sides and the enhanced
    metrics read from the columns are those read from the dicts, to the byte."""
    close = 100.0 * np.cumprod(1.0 + np.array(moves))
    bars = make_bars(close.tolist())
    n = close.size
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    entries[[i for i in entry_at if i < n]] = True
    exits[[i for i in exit_at if i < n]] = True
    params = TradingParams(
        fee_rate=fee, position_size=1000.0, direction=direction, borrow_rate=borrow
    )
    result = run(bars, entries, exits, params)
    listed = trade_records(bars, result)
    held = trade_records(bars, result, columnar=True)
    assert held == listed
    assert object_json({"trades": held}) == _dumps({"trades": listed}).decode()
    ordered = with_entry_order(held, "limit")
    assert isinstance(ordered, Rows) == isinstance(held, Rows)  # no trades: an empty list
    assert ordered == with_entry_order(listed, "limit")
    listed_ordered = with_entry_order(listed, "limit")
    assert object_json({"trades": ordered}) == _dumps({"trades": listed_ordered}).decode()
    ours = signal_markers(bars, entries, exits, held, columnar=True)
    theirs = signal_markers(bars, entries, exits, listed)
    assert object_json({"signals": ours}) == _dumps({"signals": theirs}).decode()
    benchmark = {"return_pct": 3.0}
    assert _dumps(enhanced_metrics(bars, result, held, benchmark)) == _dumps(
        enhanced_metrics(bars, result, listed, benchmark)
    )
