"""Views of a sweep's stored results: a metric over one or two swept dimensions (a line or a
heatmap), the other dimensions either fixed at a chosen value or aggregated.

The dimensions of a sweep are its grid parameters (in grid order) and, when it covers
several tickers, ``ticker``. Each cell of a view also names its best combination (by the
metric's direction), so clicking a cell can open that combination as a run.

The rows are read in column form, a batch at a time (``Batch``: a chunk's stored arrays, or
a page of rows stored one by one), and folded into the cells with numpy
(``kinds.sweeps.view_cells``): the answer is, value for value, the one adding the rows one
at a time in the same order gives. Pure: no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

import numpy as np

from kinds.runs.contract import RequestError
from kinds.sweeps.view_cells import Cells
from metrics import lower_is_better

AGGREGATES = ("max", "mean", "min")
"""How a cell combines the combinations that fall in it (undefined values are left out)."""


def dimensions(stored: dict[str, Any]) -> dict[str, list]:
    """A stored sweep request's dimensions and their values, in order."""
    dims = {name: list(values) for name, values in stored["grid"].items()}
    if len(stored["tickers"]) > 1:
        dims["ticker"] = list(stored["tickers"])
    return dims


def _key(value: Any) -> Any:
    """A value as compared across JSON, query strings and the grid: numbers as floats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value).strip().upper()


def parse_fixed(dims: dict[str, list], raw: dict[str, str]) -> dict[str, Any]:
    """``{dimension: value}`` from query strings; the value must be one of the dimension's.

    :raise RequestError: naming ``fix.<dimension>``.
    """
    fixed: dict[str, Any] = {}
    for name, text in raw.items():
        field = f"fix.{name[:40]}"
        if name not in dims:
            raise RequestError(field, f"is not a dimension of this sweep ({', '.join(dims)})")
        if None in dims[name] and str(text).strip().lower() in ("null", "none"):
            fixed[name] = None  # a swept stop that is off
            continue
        wanted = _key(text)
        if isinstance(text, str) and not isinstance(dims[name][0], str):
            try:
                wanted = float(text)
            except ValueError:
                raise RequestError(field, f"{text[:40]!r} is not a number") from None
        matches = [value for value in dims[name] if _key(value) == wanted]
        if not matches:
            raise RequestError(field, f"{str(text)[:40]!r} is not one of the swept values")
        fixed[name] = matches[0]
    return fixed


def check_axes(dims: dict[str, list], x: str, y: str | None) -> None:
    """:raise RequestError: for an axis that is not a dimension, or y equal to x."""
    for field, name in (("x", x), ("y", y)):
        if name is not None and name not in dims:
            raise RequestError(field, f"must be one of {', '.join(dims)}")
    if y is not None and y == x:
        raise RequestError("y", "must differ from x")


@dataclass(frozen=True)
class Batch:
    """Consecutive rows of a view in column form: what one chunk's stored arrays give.

    ``places`` holds, per dimension, each row's index in that dimension's value list
    (``dimensions``; an index past the list: a value the sweep did not sweep);
    ``constants`` a value every row shares (a chunk's ``ticker``), which wins over
    ``places``."""

    combo_no: np.ndarray
    """int64, one per row."""
    values: np.ndarray
    """float64, one per row: the metric's value, NaN where undefined."""
    places: Mapping[str, np.ndarray]
    constants: Mapping[str, Any] = default(default_factory=dict)


BATCH_ROWS = 50_000
"""Rows put in column form at a time (``rows_batches``): a sweep stored row by row is read
in pages, never held whole."""


def rows_batches(
    dims: dict[str, list], rows: Iterable[tuple[int, str, dict, Any]], size: int = BATCH_ROWS
) -> Iterator[Batch]:
    """``rows`` ((combo_no, ticker, swept params, metric value or None), as stored row by
    row) in column form, ``size`` at a time: each row's value of each dimension found by
    its key (``_key``), the ``ticker`` dimension read from the row's ticker."""
    rows = iter(rows)
    positions = {name: {_key(value): i for i, value in enumerate(dims[name])} for name in dims}
    while page := list(itertools.islice(rows, size)):
        combo_no = np.fromiter((row[0] for row in page), dtype=np.int64, count=len(page))
        values = [np.nan if row[3] is None else row[3] for row in page]
        places = {}
        for name, position in positions.items():
            missing = len(dims[name])
            if name == "ticker":
                found = [position.get(_key(row[1]), missing) for row in page]
            else:
                found = [position.get(_key(row[2].get(name)), missing) for row in page]
            places[name] = np.array(found, dtype=np.int64)
        yield Batch(combo_no, np.array(values, dtype=np.float64), places)


class _Dimension:
    """One dimension a view reads: its values' cells (the position a value's key has among
    the dimension's, what a dict of keys gives: the last value with that key), -1 past the
    list, and, when it is fixed, which of its values count."""

    def __init__(self, options: list, wanted: Any = None, *, fixed: bool = False) -> None:
        position = {_key(value): i for i, value in enumerate(options)}
        self.size = len(options)
        self.cell = np.array([position[_key(value)] for value in options] + [-1], dtype=np.int64)
        self.counts = np.array(
            [_key(value) == wanted for value in options] + [False], dtype=bool
        ) if fixed else None  # fmt: skip
        self.position = position

    def of(self, batch: Batch, name: str) -> np.ndarray | int:
        """Each row's index among the values (``size`` past them), or the one they share."""
        if name in batch.constants:
            return self.position.get(_key(batch.constants[name]), self.size)
        at = batch.places[name]
        if at.size and int(at.max()) > self.size:
            at = np.minimum(at, self.size)
        return at


def aggregate(
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
    return aggregate_batches(
        dims, rows_batches(dims, rows), metric=metric, x=x, y=y, agg=agg, fixed=fixed
    )


def aggregate_batches(
    dims: dict[str, list],
    batches: Iterable[Batch],
    *,
    metric: str,
    x: str,
    y: str | None = None,
    agg: str = "max",
    fixed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``aggregate`` of rows given as batches in column form (``Batch``, in row order), a
    batch at a time with numpy (``kinds.sweeps.view_cells``): the same answer, value for
    value, as ``aggregate`` of the same rows one by one. A row whose x or y value is not
    one of the dimension's is left out."""
    if agg not in AGGREGATES:
        raise RequestError("agg", f"must be one of {', '.join(AGGREGATES)}")
    check_axes(dims, x, y)
    fixed = fixed or {}
    wanted = {
        name: _Dimension(dims[name], _key(value), fixed=True)
        for name, value in fixed.items()
        if name not in (x, y)
    }
    axis_x = _Dimension(dims[x])
    axis_y = _Dimension(dims[y]) if y else None
    shape = (axis_y.size if axis_y else 1, axis_x.size)
    cells = Cells(shape[0] * shape[1], agg, lower_is_better=lower_is_better(metric))
    for batch in batches:
        counted = np.isfinite(batch.values)
        for name, dimension in wanted.items():
            counted &= dimension.counts[dimension.of(batch, name)]
        column = axis_x.cell[axis_x.of(batch, x)]
        row = axis_y.cell[axis_y.of(batch, y)] if axis_y else 0
        counted &= (column >= 0) & (row >= 0)
        at = np.flatnonzero(counted)
        cell = np.broadcast_to(row * shape[1] + column, counted.shape)[at]
        cells.add(cell, batch.values[at], batch.combo_no[at])
    z = cells.z().reshape(shape)
    best = cells.best.combo.reshape(shape)
    z_list = [[None if math.isnan(v) else float(v) for v in line] for line in z.tolist()]
    best_list = [[None if b < 0 else int(b) for b in line] for line in best.tolist()]
    count_list = cells.count.reshape(shape).tolist()
    return {
        "x": {"name": x, "values": dims[x]},
        "y": {"name": y, "values": dims[y]} if y else None,
        "z": z_list if y else z_list[0],
        "best": best_list if y else best_list[0],
        "count": count_list if y else count_list[0],
    }
