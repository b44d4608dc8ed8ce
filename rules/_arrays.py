"""The argument checks every indicator module shares: a 1-D float series and a window
length. Its own module so that the indicator modules (``rules.indicators``,
``rules.indicators_trend``) import it, not each other's helpers.
"""

from __future__ import annotations

import numpy as np


def _series(x: object) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {arr.shape}")
    return arr


def _period(n: object, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    return int(n)
