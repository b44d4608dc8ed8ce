"""Parameter stability of a sweep's best combination: how its neighbours on the parameter
grid perform, so a lone spike is told from a plateau.

Pure numpy; no I/O. A sweep's statistics (``kinds.sweeps.overfitting``) judge its best on
the grid of Sharpe ratios with it; docs/execution.md, "Overfitting statistics", defines it.

The metric of each combination sits on an n-dimensional grid, one axis per swept parameter
(a cell per value index; NaN where a combination is missing or its metric undefined). The
best cell is the one with the highest metric (lowest when ``higher_is_better`` is false; the
first in C order on a tie). Its **neighbours** are the cells at most one step away in every
parameter (the 3ⁿ − 1 cells around it: 8 on a 2-D heatmap), clipped at the grid's edges,
NaN cells left out. Reported: the best value, the median of the neighbours' values, their
count, ``neighbour_ratio`` = median / best (None when the best is 0) and
``neighbour_gap`` = best − median for a higher-is-better metric (median − best otherwise),
so a gap near 0 is a plateau and a large one a spike.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from adapters._plain import number


def grid_from_indices(
    indices: np.ndarray, values: np.ndarray, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """The n-dimensional grid (NaN where no combination) of K combinations given by their
    value indices per parameter (K × n, integers from 0) and their metric ``values`` (K).

    :raise ValueError: ``indices`` not K × n non-negative integers inside ``shape``, or
        ``values`` of another length.
    """
    idx = np.asarray(indices)
    vals = np.asarray(values, dtype=np.float64).ravel()
    if idx.ndim != 2 or idx.shape[0] != vals.size or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("indices must be K × n integers, one row per value")
    if idx.size and idx.min() < 0:
        raise ValueError("indices must not be negative")
    if shape is None:
        shape = tuple(int(v) + 1 for v in idx.max(axis=0)) if idx.size else ()
    if len(shape) != idx.shape[1] or (idx.size and (idx >= np.asarray(shape)).any()):
        raise ValueError(f"indices must fit the grid shape {shape}")
    grid = np.full(shape, np.nan)
    grid[tuple(idx.T)] = vals
    return grid


def neighbourhood(grid: np.ndarray, higher_is_better: bool = True) -> dict:
    """The best cell's ``index`` (a list, one value index per parameter) and ``best``, its
    neighbours' ``neighbour_median`` and ``neighbours`` (how many), ``neighbour_ratio`` and
    ``neighbour_gap`` (see the module docstring); all ``None`` (index too) when the grid has
    no finite value, the median ones ``None`` when the best has no finite neighbour."""
    g = np.asarray(grid, dtype=np.float64)
    empty = {
        "index": None,
        "best": None,
        "neighbour_median": None,
        "neighbours": 0,
        "neighbour_ratio": None,
        "neighbour_gap": None,
    }
    finite = np.isfinite(g)
    if g.ndim == 0 or not finite.any():
        return empty
    ranked = np.where(finite, g if higher_is_better else -g, -np.inf)
    best_at = np.unravel_index(int(np.argmax(ranked)), g.shape)
    best = float(g[best_at])
    around = []
    for step in product((-1, 0, 1), repeat=g.ndim):
        cell = tuple(i + d for i, d in zip(best_at, step, strict=True))
        inside = all(0 <= c < n for c, n in zip(cell, g.shape, strict=True))
        if any(step) and inside and finite[cell]:
            around.append(g[cell])
    out = {**empty, "index": [int(i) for i in best_at], "best": number(best)}
    if not around:
        return out
    median = float(np.median(around))
    out["neighbour_median"] = number(median)
    out["neighbours"] = len(around)
    out["neighbour_ratio"] = number(median / best) if best != 0 else None
    out["neighbour_gap"] = number(best - median if higher_is_better else median - best)
    return out
