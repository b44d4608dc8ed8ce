"""A sweep chunk handled by column (``kinds.sweeps.grid.Points`` from the message to the
stored rows, blobs and CSV part) stores what it stored a combination at a time
(``tests.sweeps.chunk_reference``), byte for byte: on random grids of int, float and choice
axes, with swept stops (``null``: off), short windows whose metrics are undefined (NaN),
listed and compact messages, with and without block statistics and kept rows."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.csv_columns import Coded, column_lines
from kinds.sweeps.caps import CompactForm, RequestCaps
from kinds.sweeps.contract import chunk_payloads, parse_sweep_request
from kinds.sweeps.export import part_of
from kinds.sweeps.grid import Points
from kinds.sweeps.search_sweep import evaluate_sweep_chunk, read_chunk
from metrics import sweep_metric_keys
from tests.sweeps.chunk_reference import reference_chunk


def _distinct(values: st.SearchStrategy, most: int = 4) -> st.SearchStrategy:
    return st.lists(values, min_size=1, max_size=most, unique=True)


_TENTHS = st.integers(1, 49).map(lambda k: k / 10 + 0.05 * (k % 2))

GRIDS = st.one_of(
    st.fixed_dictionaries(
        {
            "period": _distinct(st.integers(2, 30)),
            "oversold": _distinct(st.integers(5, 45)),
            "overbought": _distinct(st.sampled_from([55.0, 60.5, 70.0, 80.25, 95.0])),
        }
    ).map(lambda grid: ("RSI", grid)),
    st.fixed_dictionaries(
        {
            "period": _distinct(st.integers(5, 40)),
            "std_dev": _distinct(_TENTHS),
        }
    ).map(lambda grid: ("BOLLINGER", grid)),
    st.fixed_dictionaries(
        {"fast": _distinct(st.integers(2, 20)), "slow": _distinct(st.integers(10, 60))}
    ).map(lambda grid: ("SMA_CROSS", grid)),
    st.fixed_dictionaries(
        {"operator": st.sampled_from([["AND"], ["OR"], ["AND", "OR"], ["or", "and"]])}
    ).map(lambda grid: ("COMPOSITE", grid)),
)
"""A rule and its grid: int axes, float axes (quarters, tenths), a choice axis."""

STOPS = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"stop_loss_pct": _distinct(st.sampled_from([None, 2.0, 3.5, 7.0]), 3)}),
)
"""No swept stop, or a swept stop loss whose ``null`` turns it off."""

WINDOWS = st.sampled_from(
    [
        ("2014-01-02", "2014-01-20"),  # too short for a trade: undefined metrics
        ("2014-01-02", "2014-06-30"),
        ("2018-03-01", "2020-12-31"),
    ]
)


@st.composite
def sweeps(draw) -> tuple[dict, dict]:
    """A sweep body and how it is cut: chunk size, blocks, compact form."""
    rule_type, grid = draw(GRIDS)
    start, end = draw(WINDOWS)
    body = {
        "tickers": draw(st.sampled_from([["ACME"], ["ACME", "HOOLI"]])),
        "rule_type": rule_type,
        "grid": {**grid, **draw(STOPS)},
        "start_date": start,
        "end_date": end,
        "cscv_blocks": draw(st.sampled_from([0, 2, 4])),
    }
    form = {
        "chunk_size": draw(st.integers(3, 40)),
        "compact": draw(st.booleans()),
        "top_k": draw(st.sampled_from([None, 1, 3])),
        "stride": draw(st.integers(1, 4)),
    }
    return body, form


def _payloads(body: dict, form: dict) -> list[dict]:
    caps = None
    if form["compact"]:  # a grid stored compactly: messages of grid ranges
        compact = CompactForm(above=1, combinations=10**6, top_k=form["top_k"] or 2)
        caps = RequestCaps(combinations=10**6, chunks=10**4, compact=compact)
    sweep = parse_sweep_request(body, caps=caps)
    top_k = (form["top_k"] or 2) if form["compact"] else form["top_k"]
    sweep = replace(sweep, chunk_size=form["chunk_size"], top_k=top_k, pbo_stride=form["stride"])
    return chunk_payloads(sweep)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(sweeps())
def test_a_chunk_by_column_stores_what_it_stored_a_combination_at_a_time(demo_data_dir, drawn):
    body, form = drawn
    try:
        payloads = _payloads(body, form)
    except Exception as exc:  # a grid no combination of satisfies its rule: not a sweep
        if "satisfies" in str(exc):
            return
        raise
    for payload in (payloads[0], payloads[-1]):
        chunk = evaluate_sweep_chunk(read_chunk(payload))
        assert chunk.cells is not None
        part = part_of(chunk.cells, payload["grid_params"], sweep_metric_keys())
        reference = reference_chunk(json.loads(json.dumps(payload)))
        assert json.dumps(chunk.rows) == json.dumps(reference.rows)
        assert chunk.rows == reference.rows
        assert chunk.block_stats == reference.block_stats
        assert chunk.sharpe_grid == reference.sharpe_grid
        assert part == reference.csv_part


VALUES = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.sampled_from([0.0, -0.0, 1, 1.0, True, None, "", "a,b", 'q"', "AND"]),
    st.text(max_size=5),
)
"""What a message's value rows may hold: ints beyond int64, floats of any size, 1 beside
1.0 and True, 0.0 beside -0.0, None, texts csv quotes."""


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_points_read_from_value_rows_are_those_rows(data):
    width = data.draw(st.integers(1, 3))
    names = [f"p{j}" for j in range(width)]
    rows = data.draw(
        st.lists(st.lists(VALUES, min_size=width, max_size=width), min_size=1, max_size=30)
    )
    points = Points.from_rows(names, rows)
    expected = [dict(zip(names, row, strict=True)) for row in rows]
    assert len(points) == len(rows)
    assert json.dumps(list(points)) == json.dumps(expected)
    assert [points[k] for k in range(len(rows))] == expected
    assert all(
        type(points[k][name]) is type(expected[k][name]) for k in range(len(rows)) for name in names
    )
    for name in names:
        levels, codes = points.coded(name)
        assert list(Coded(levels, codes).tolist()) == [row[name] for row in expected]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_coded_column_is_written_as_its_values_are(data):
    """Each distinct value formatted once and taken row by row: the bytes of the whole
    column formatted (floats with NaN, ints, texts that need quoting)."""
    count = data.draw(st.integers(1, 40))
    rows = data.draw(st.lists(VALUES, min_size=count, max_size=count))
    points = Points.from_rows(["v"], [[value] for value in rows])
    metric = np.array(data.draw(st.lists(st.floats(), min_size=count, max_size=count)))
    plain = column_lines([np.arange(count), rows, metric])
    coded = column_lines([np.arange(count), Coded(*points.coded("v")), metric])
    assert coded == plain


def test_undefined_sharpe_ratios_are_stored_as_nan_by_column(demo_data_dir):
    """A window too short for most combinations to trade: their Sharpe ratios undefined,
    None in their rows and NaN in the stored Sharpe grid, as before."""
    body = {
        "ticker": "ACME",
        "rule_type": "RSI",
        "grid": {"period": [5, 9, 14], "oversold": [20, 30], "overbought": [70]},
        "start_date": "2014-01-02",
        "end_date": "2014-01-10",
        "cscv_blocks": 2,
    }
    payload = _payloads(body, {"compact": False, "top_k": None, "chunk_size": 50, "stride": 1})[0]
    chunk = evaluate_sweep_chunk(read_chunk(payload))
    undefined = [row["sharpe_ratio"] is None for row in chunk.rows]
    assert any(undefined)
    assert chunk.sharpe_grid == reference_chunk(payload).sharpe_grid
    assert chunk.sharpe_grid is not None
    stored = np.frombuffer(chunk.sharpe_grid, "<f8", len(undefined), 16)
    assert np.isnan(stored).tolist() == undefined


@pytest.mark.parametrize("compact", [False, True])
def test_a_large_rsi_chunk_by_column_equals_the_reference(demo_data_dir, compact):
    """Thousands of combinations, enough for the compiled one pass and several blocks."""
    body = {
        "ticker": "ACME",
        "rule_type": "RSI",
        "grid": {"period": "2:40:1", "oversold": "10:40:2", "overbought": "60:90:3"},
        "start_date": "2016-01-04",
        "end_date": "2020-12-31",
        "cscv_blocks": 4,
    }
    form = {"compact": compact, "top_k": 5, "chunk_size": 4000, "stride": 3}
    payload = _payloads(body, form)[0]
    chunk = evaluate_sweep_chunk(read_chunk(payload))
    reference = reference_chunk(payload)
    assert json.dumps(chunk.rows) == json.dumps(reference.rows)
    assert (chunk.block_stats, chunk.sharpe_grid) == (reference.block_stats, reference.sharpe_grid)
    assert part_of(chunk.cells, payload["grid_params"], sweep_metric_keys()) == reference.csv_part
