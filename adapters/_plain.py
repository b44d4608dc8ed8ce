"""Numpy values as plain JSON-safe Python values: floats, or None where not finite."""

from __future__ import annotations

import math

import numpy as np


def float_list(values: np.ndarray) -> list[float | None]:
    """A float array as a list of Python floats, NaN and ±inf replaced by ``None``."""
    arr = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(arr)
    if finite.all():
        return arr.tolist()
    return np.where(finite, arr, None).tolist()


def number(value: float | np.floating | None) -> float | None:
    """One value as a Python float, or ``None`` when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
