"""Views of a sweep's stored results: a metric over one or two swept dimensions (a line or a
heatmap), the other dimensions either fixed at a chosen value or aggregated.

The dimensions of a sweep are its grid parameters (in grid order) and, when it covers
several tickers, ``ticker``. Each cell of a view also names its best combination (by the
metric's direction), so clicking a cell can open that combination as a run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from kinds.runs.contract import RequestError
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
