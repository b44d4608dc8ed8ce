"""A sweep stored compactly: what a chunk of a sweep above ``SWEEP_COMPACT_ABOVE``
combinations keeps of its evaluated combinations (docs/sweeps.md, "Large sweeps").

A chunk evaluates every combination as any chunk does, then stores what a user reads:

- as ordinary result rows, the union of its best ``top_k`` combinations by each metric
  (``top_rows``), so the sweep's best K by any metric are all stored and the top table,
  its sorting and filtering, the status's best and a row's run link read them as usual;
- every combination's Sharpe ratio and grid position, in its ``sharpe_grid`` blob as any
  chunk does (the heatmap of Sharpe ratios, the DSR and the stability statistics);
- the block statistics of the combinations whose combo_no is a multiple of ``pbo_stride``
  (``sampled``): a deterministic subset of about ``SWEEP_COMPACT_PBO_COMBINATIONS``, on
  which the PBO is computed.

The CSV re-evaluates each chunk from its stored message (the same code, so the same
values). Pure functions: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from metrics import lower_is_better


def pbo_stride(combinations: int, pbo_combinations: int) -> int:
    """The step between the combo_nos whose block statistics a compact sweep keeps: 1
    (all of them) up to ``pbo_combinations``, else the smallest step that keeps at most
    that many.

    >>> pbo_stride(40_000, 50_000), pbo_stride(1_000_000, 50_000)
    (1, 20)
    """
    return max(1, -(-combinations // max(pbo_combinations, 1)))


def sampled(combo_first: int, count: int, stride: int) -> np.ndarray:
    """Positions in a chunk (of ``count`` combinations from ``combo_first``) of those whose
    combo_no is a multiple of ``stride``.

    >>> sampled(10, 8, 4).tolist()
    [2, 6]
    """
    start = (-combo_first) % stride
    return np.arange(start, count, stride, dtype=np.int64)


def top_rows(rows: Sequence[dict], top_k: int, keys: Sequence[str]) -> list[int]:
    """Positions of the rows among the best ``top_k`` by any metric of ``keys`` (each by its
    direction, ``metrics.lower_is_better``; undefined values never count; ties in row
    order), in row order.

    >>> rows = [{"a": 1.0}, {"a": 3.0}, {"a": None}, {"a": 2.0}]
    >>> top_rows(rows, 2, ["a"])
    [1, 3]
    """
    columns = {key: [row.get(key) for row in rows] for key in keys}
    return top_positions(columns, len(rows), top_k, keys)


def top_positions(
    columns: Mapping[str, Sequence | np.ndarray], count: int, top_k: int, keys: Sequence[str]
) -> list[int]:
    """``top_rows`` of ``count`` rows given by column (``columns[key][i]``: row i's value,
    None or NaN where undefined; a key without a column: undefined everywhere).

    >>> top_positions({"a": np.array([1.0, 3.0, np.nan, 2.0])}, 4, 2, ["a"])
    [1, 3]
    """
    kept = np.zeros(count, dtype=bool)
    order = np.arange(count)
    for key in keys:
        column = columns.get(key)
        if column is None:
            continue
        values = np.array(column, dtype=np.float64)
        defined = np.isfinite(values)
        ranked = values if lower_is_better(key) else -values
        best = np.lexsort((order[defined], ranked[defined]))[:top_k]
        kept[order[defined][best]] = True
    return np.flatnonzero(kept).tolist()


__all__ = ["pbo_stride", "sampled", "top_positions", "top_rows"]
