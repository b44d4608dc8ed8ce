"""Helpers for strategies, as backtesting.py's ``lib``: pure functions of arrays.
numpy, pandas and the standard library only (this runs inside the strategy sandbox)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from numbers import Number
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["barssince", "cross", "crossover"]


def barssince(condition: Sequence[bool], default: float = np.inf) -> float:
    """The number of bars since ``condition`` was last true, ``default`` if never.

    >>> barssince(np.array([True, False, False]))
    2
    """
    return next(compress(range(len(condition)), reversed(condition)), default)


def cross(series1: Any, series2: Any) -> bool:
    """Whether ``series1`` and ``series2`` just crossed, either way.

    >>> cross(np.array([1, 3]), np.array([2, 2]))
    True
    """
    return crossover(series1, series2) or crossover(series2, series1)


def crossover(series1: Any, series2: Any) -> bool:
    """Whether ``series1`` just crossed over (above) ``series2``: below it on the previous
    bar, above it on the current one. Either may be a number.

    >>> crossover(np.array([1, 3]), 2)
    True
    """

    def pair(series: Any) -> Any:
        if isinstance(series, pd.Series):
            return series.values
        return (series, series) if isinstance(series, Number) else series

    series1, series2 = pair(series1), pair(series2)
    try:
        return bool(series1[-2] < series2[-2] and series1[-1] > series2[-1])
    except IndexError:
        return False
