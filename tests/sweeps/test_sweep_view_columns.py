"""kinds.sweeps.view's lines and heatmaps computed a batch of rows at a time with numpy give
the JSON, byte for byte, that the former row-by-row aggregation gives
(``bench.sweep_view_reference``) for the same rows: sweeps stored row by row (a grid, or
random points of it, in any order) and compactly stored ones (every combination's Sharpe
ratio read from its chunks' ``sharpe_grid`` blobs), with undefined and non-finite values,
ties (-0.0 against 0.0 included), values whose sum depends on its order, one to four
grid parameters, several tickers, fixed dimensions and values that share a key."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.sweep_view_reference import reference_aggregate, reference_blob_rows
from kinds.sweeps.evaluate import grid_positions, pack_sharpe_grid
from kinds.sweeps.service import sharpe_batch
from kinds.sweeps.view import (
    AGGREGATES,
    aggregate,
    aggregate_batches,
    dimensions,
    rows_batches,
)

METRICS = ("sharpe_ratio", "max_drawdown_pct")
"""One higher-is-better metric and one lower-is-better."""

VALUES = st.one_of(
    st.none(),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e16, -1e16, math.nan, math.inf, -math.inf]),
    st.floats(-1e9, 1e9, allow_nan=False),
)
"""Metric values: undefined, non-finite, tied, and of magnitudes whose sum is rounded
differently in another order."""

SWEPT = st.one_of(
    st.lists(st.integers(-3, 30), min_size=1, max_size=5, unique=True),
    st.lists(
        st.sampled_from([0.5, 1, 1.0, True, 2, 2.5, None, "a", "A", " b", "B"]),
        min_size=1,
        max_size=5,
        unique_by=lambda value: (type(value).__name__, repr(value)),
    ),
)
"""A parameter's swept values, some of which share a key (1, 1.0 and True; "a" and "A")."""


@st.composite
def sweeps(draw, *, compact: bool = False):
    """(stored request, rows in order, view keyword arguments)."""
    n = draw(st.integers(1, 4))
    grid = {f"p{i}": draw(SWEPT) for i in range(n)}
    tickers = draw(st.sampled_from([["ACME"], ["ACME", "GLOBEX"], ["ACME", "acme", "INIT"]]))
    points = list(itertools.product(*grid.values()))
    if draw(st.booleans()):  # random points of the grid, or a grid with constraints
        kept = draw(st.sets(st.integers(0, len(points) - 1), min_size=1))
        points = [points[i] for i in sorted(kept)]
    rows = []
    for ticker in tickers:
        for point in points:
            params = dict(zip(grid, point, strict=True))
            rows.append((len(rows), ticker, params, draw(VALUES)))
    if not compact and draw(st.booleans()):
        rows = draw(st.permutations(rows))
    stored = {"grid": grid, "tickers": tickers}
    dims = dimensions(stored)
    names = list(dims)
    x = draw(st.sampled_from(names))
    others = [name for name in names if name != x]
    y = draw(st.sampled_from([None, *others])) if others else None
    fixed = {}
    for name in draw(st.sets(st.sampled_from(names))):
        fixed[name] = draw(st.sampled_from(dims[name]))
    view = {
        "metric": draw(st.sampled_from(METRICS)),
        "x": x,
        "y": y,
        "agg": draw(st.sampled_from(AGGREGATES)),
        "fixed": fixed,
    }
    return stored, rows, view


def _json(view: dict) -> str:
    return json.dumps(view)


@settings(max_examples=400, deadline=None)
@given(sweeps(), st.integers(1, 30))
def test_a_view_of_rows_is_the_row_by_row_aggregations_byte_for_byte(sweep, page):
    """Rows as stored row by row (a grid or random points, in any order), whole or read in
    pages of ``page`` rows."""
    stored, rows, view = sweep
    dims = dimensions(stored)
    expected = _json(reference_aggregate(dims, iter(rows), **view))
    assert _json(aggregate(dims, iter(rows), **view)) == expected
    paged = aggregate_batches(dims, rows_batches(dims, iter(rows), page), **view)
    assert _json(paged) == expected


def _chunks(rows: list, size: int):
    """Consecutive rows of one ticker, at most ``size`` a chunk: (ticker, first, rows)."""
    for ticker, group in itertools.groupby(rows, key=lambda row: row[1]):
        group = list(group)
        for first in range(0, len(group), size):
            yield ticker, group[first][0], group[first : first + size]


@settings(max_examples=300, deadline=None)
@given(sweeps(compact=True), st.integers(1, 40))
def test_a_view_of_sharpe_grid_blobs_is_the_row_by_row_aggregations_byte_for_byte(sweep, size):
    """A compactly stored sweep's chunks: each one's blob read as one batch of columns."""
    stored, rows, view = sweep
    view["metric"] = "sharpe_ratio"
    dims = dimensions(stored)
    grid = stored["grid"]
    blobs = []
    for ticker, first, chunk in _chunks(rows, size):
        sharpe = np.array([np.nan if r[3] is None else r[3] for r in chunk], dtype=np.float64)
        positions = grid_positions([r[2] for r in chunk], grid)
        blobs.append((ticker, first, pack_sharpe_grid(sharpe, positions)))
    batches = (sharpe_batch(list(grid), *blob) for blob in blobs)
    theirs = (row for blob in blobs for row in reference_blob_rows(grid, *blob))
    ours = aggregate_batches(dims, batches, **view)
    assert _json(ours) == _json(reference_aggregate(dims, theirs, **view))
