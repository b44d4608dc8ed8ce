"""Crossing detectors: boolean arrays marking the bar where one series crosses another."""

from __future__ import annotations

import numpy as np


def _cross(over: np.ndarray, not_over: np.ndarray) -> np.ndarray:
    if over.ndim == 0:
        raise ValueError("cross detection needs at least one array argument")
    out = np.zeros(over.shape, dtype=bool)
    np.logical_and(over[..., 1:], not_over[..., :-1], out=out[..., 1:])
    return out


def cross_above(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """True on bar t when a[t] > b[t] and a[t−1] <= b[t−1] (along the last axis).

    Equality on the previous bar counts as "not above"; any comparison with NaN is False, so
    a NaN on either bar never makes a cross; bar 0 is never a cross. ``b`` may be a scalar,
    and (N, T) arrays give one row per series.

    >>> cross_above(np.array([1.0, 2, 3, 2, 3]), 2.0)
    array([False, False,  True, False,  True])
    """
    a, b = np.asarray(a), np.asarray(b)
    return _cross(a > b, a <= b)


def cross_below(a: np.ndarray, b: np.ndarray | float) -> np.ndarray:
    """True on bar t when a[t] < b[t] and a[t−1] >= b[t−1] (the mirror of ``cross_above``).

    >>> cross_below(np.array([3.0, 2, 1, np.nan, 1]), 2.0)
    array([False, False,  True, False, False])
    """
    a, b = np.asarray(a), np.asarray(b)
    return _cross(a < b, a >= b)


__all__ = ["cross_above", "cross_below"]
