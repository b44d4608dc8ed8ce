"""The sweep views' former implementation, kept as the reference the vectorised one is
measured and tested against (``bench.sweep_heatmap_bench``,
``tests/sweeps/test_sweep_view_columns.py``): every combination read as a Python tuple
(a compactly stored sweep's from its chunks' ``sharpe_grid`` blobs, its swept params as a
dict) and aggregated one row at a time. Not used by the platform.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from kinds.runs.contract import RequestError
from kinds.sweeps.service import COMPACT_VIEW_METRIC, finished_chunks
from kinds.sweeps.store import iter_results
from kinds.sweeps.view import AGGREGATES, _key, check_axes
from metrics import lower_is_better
from store.models import Sweep, SweepChunk


def reference_aggregate(
    dims: dict[str, list],
    rows: Iterable[tuple[int, str, dict, float | None]],
    *,
    metric: str,
    x: str,
    y: str | None = None,
    agg: str = "max",
    fixed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A line (``y`` None) or heatmap of ``metric`` over ``x`` (and ``y``).

    ``rows`` are (combo_no, ticker, swept params, metric value). A row counts when every
    ``fixed`` dimension has its chosen value; the rows of a cell are combined with ``agg``.
    Returns ``{"x": {"name", "values"}, "y": … or None, "z", "best", "count"}`` where ``z``
    / ``best`` / ``count`` are lists over x (a line) or lists of rows over y then x (a
    heatmap); ``z`` is None where no defined value fell in a cell, ``best`` the combo_no of
    the cell's best combination.
    """
    if agg not in AGGREGATES:
        raise RequestError("agg", f"must be one of {', '.join(AGGREGATES)}")
    check_axes(dims, x, y)
    fixed = fixed or {}
    position = {
        name: {_key(value): i for i, value in enumerate(values)} for name, values in dims.items()
    }
    wanted = {name: _key(value) for name, value in fixed.items() if name not in (x, y)}
    shape = (len(dims[y]) if y else 1, len(dims[x]))
    total = np.zeros(shape)
    count = np.zeros(shape, dtype=np.int64)
    extreme = np.full(shape, np.nan)
    best = np.full(shape, -1, dtype=np.int64)
    best_value = np.full(shape, np.nan)
    sign = -1.0 if lower_is_better(metric) else 1.0
    for combo_no, ticker, params, value in rows:
        if value is None or not math.isfinite(value):
            continue

        def of(name: str, ticker: str = ticker, params: dict = params) -> Any:
            return _key(ticker if name == "ticker" else params.get(name))

        if any(of(name) != key for name, key in wanted.items()):
            continue
        cell = (position[y][of(y)] if y else 0, position[x][of(x)])
        total[cell] += value
        count[cell] += 1
        if agg == "max":
            extreme[cell] = value if math.isnan(extreme[cell]) else max(extreme[cell], value)
        elif agg == "min":
            extreme[cell] = value if math.isnan(extreme[cell]) else min(extreme[cell], value)
        if math.isnan(best_value[cell]) or sign * value > sign * best_value[cell]:
            best_value[cell], best[cell] = value, combo_no
    with np.errstate(invalid="ignore", divide="ignore"):
        z = total / count if agg == "mean" else extreme
    z_list = [[None if math.isnan(v) else float(v) for v in row] for row in z]
    best_list = [[None if b < 0 else int(b) for b in row] for row in best]
    count_list = count.tolist()
    return {
        "x": {"name": x, "values": dims[x]},
        "y": {"name": y, "values": dims[y]} if y else None,
        "z": z_list if y else z_list[0],
        "best": best_list if y else best_list[0],
        "count": count_list if y else count_list[0],
    }


def reference_sharpe_rows(session: Session, sweep: Sweep) -> Iterator[tuple]:
    """(combo_no, ticker, swept params, Sharpe ratio or None) of every combination of the
    sweep's finished chunks, in combo order, read from their ``sharpe_grid`` blobs: what a
    compactly stored sweep's heatmap and line read (``kinds.sweeps.view.aggregate``)."""
    grid = json.loads(sweep.request_json)["grid"]
    chunks = finished_chunks(
        session, sweep.sweep_id, SweepChunk.ticker, SweepChunk.combo_first, SweepChunk.sharpe_grid
    )
    for ticker, first, blob in chunks:
        if blob is None:
            continue
        yield from reference_blob_rows(grid, ticker, first, bytes(blob))


def reference_blob_rows(grid: dict[str, list], ticker: str, first: int, blob: bytes) -> Iterator:
    """One chunk's rows from its ``sharpe_grid`` blob, a tuple and a dict of swept values
    per combination."""
    from kinds.sweeps.evaluate import unpack_sharpe_grid

    names = list(grid)
    sharpe, positions = unpack_sharpe_grid(blob)
    for at, (value, place) in enumerate(zip(sharpe.tolist(), positions.tolist(), strict=True)):
        swept = {name: grid[name][i] for name, i in zip(names, place, strict=True)}
        yield first + at, ticker, swept, None if value != value else value


def reference_metric_rows(session: Session, sweep: Sweep, metric: str) -> Iterable[tuple]:
    """(combo_no, ticker, swept params, metric value) of every combination, in combo order:
    the rows ``kinds.sweeps.view.aggregate`` reads; a compactly stored sweep's Sharpe ratios
    from its chunks' blobs (``sharpe_rows``).

    :raise RequestError: naming ``metric`` for another metric of a compactly stored sweep,
        which keeps only its best combinations' values.
    """
    if sweep.top_k is not None:
        if metric != COMPACT_VIEW_METRIC:
            raise RequestError(
                "metric",
                f"this sweep of {sweep.combos:,} combinations keeps every combination's "
                f"{COMPACT_VIEW_METRIC} only: view {COMPACT_VIEW_METRIC}, or read the best of "
                "the others in its results",
            )
        yield from reference_sharpe_rows(session, sweep)
        return
    rows = iter_results(session, sweep.sweep_id, ("combo_no", "ticker", "params_json", metric))
    for combo_no, ticker, params, value in rows:
        yield combo_no, ticker, json.loads(params), value
