"""The cells of a sweep's line or heatmap accumulated from its rows in column form, a batch
(a chunk's stored arrays) at a time, with numpy: per cell, how many rows fell in it, their
sum in row order and the first row whose value is the cell's largest or smallest.

Each reduction gives what adding the rows one at a time in the same order gives, bit for
bit (``kinds.sweeps.view.aggregate``): counts are whole numbers; sums are accumulated
row by row (``np.add.at`` adds in index order, so the float rounding is the sequential
one); an extreme is the first row that no later row beats strictly, which is what a running
``max``/``min`` keeps (a tie, -0.0 against 0.0 included, keeps the earlier row). Pure: no
I/O.
"""

from __future__ import annotations

import numpy as np


class FirstExtreme:
    """Per cell, the value and combo_no of the first row (in the order rows are added)
    whose value is the cell's largest (``largest``) or smallest; NaN and -1 where no row
    fell. Values must be finite."""

    def __init__(self, size: int, *, largest: bool) -> None:
        self.size = size
        self.largest = largest
        self.value = np.full(size, np.nan)
        self.combo = np.full(size, -1, dtype=np.int64)

    def add(self, cell: np.ndarray, values: np.ndarray, combo_no: np.ndarray) -> None:
        """Rows after every row added so far: each one's cell, value and combo_no."""
        if not cell.size:
            return
        top = np.full(self.size, -np.inf if self.largest else np.inf)
        (np.maximum if self.largest else np.minimum).at(top, cell, values)
        hits = np.flatnonzero(values == top[cell])
        first = np.full(self.size, cell.size, dtype=np.int64)
        np.minimum.at(first, cell[hits], hits)
        present = np.flatnonzero(first < cell.size)
        rows = first[present]
        found = values[rows]
        held = self.value[present]
        beats = found > held if self.largest else found < held
        better = np.isnan(held) | beats
        self.value[present[better]] = found[better]
        self.combo[present[better]] = combo_no[rows[better]]


class Cells:
    """A line's or heatmap's ``size`` cells (row-major over y then x): each one's count,
    its ``agg`` (``max``, ``mean`` or ``min``) and its best combination by the metric's
    direction (``lower_is_better``)."""

    def __init__(self, size: int, agg: str, *, lower_is_better: bool) -> None:
        self.size = size
        self.agg = agg
        self.count = np.zeros(size, dtype=np.int64)
        self.total = np.zeros(size)
        self.best = FirstExtreme(size, largest=not lower_is_better)
        self.extreme: FirstExtreme | None = None
        if agg != "mean":
            largest = agg == "max"
            same = largest == (not lower_is_better)
            self.extreme = self.best if same else FirstExtreme(size, largest=largest)

    def add(self, cell: np.ndarray, values: np.ndarray, combo_no: np.ndarray) -> None:
        """Rows (finite values only) after every row added so far."""
        cell = np.asarray(cell, dtype=np.intp)
        self.count += np.bincount(cell, minlength=self.size)
        if self.agg == "mean":
            np.add.at(self.total, cell, values)
        self.best.add(cell, values, combo_no)
        if self.extreme is not None and self.extreme is not self.best:
            self.extreme.add(cell, values, combo_no)

    def z(self) -> np.ndarray:
        """Each cell's aggregate: NaN where no row fell."""
        if self.extreme is not None:
            return self.extreme.value
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.total / self.count


__all__ = ["Cells", "FirstExtreme"]
