"""The metrics beyond the built-in ones, computed: each registry row that names a function
(``metrics.MetricDef.function``, ``"module:name"``) is called with the curves
(``adapters.metrics.Curves``) and gives N values. A single run calls ``named_metrics`` with
N = 1 (``kinds.runs.execute``), a sweep with a block of combinations
(``kinds.sweeps.evaluate``): the same code, so a combination's value equals the run's.

The names come from the registry (code), never from a request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from adapters.metrics import Curves
from metrics import curve_functions


def _function(path: str) -> Callable[[Curves], Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def named_metrics(
    timestamps: np.ndarray,
    equity: np.ndarray,
    returns: np.ndarray,
    bars_per_year: float,
    known: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every registry metric with a ``function``, for the N curves ``equity`` (N × T): one
    float array of length N each (NaN where undefined). ``known``: the metrics already
    computed for the same curves, passed on to the functions.

    :raise ValueError: a function gave other than N values.
    """
    curves = Curves(timestamps, equity, returns, bars_per_year, known)
    out: dict[str, np.ndarray] = {}
    for definition in curve_functions():
        values = np.asarray(_function(definition.function)(curves), dtype=np.float64)
        if values.shape != (equity.shape[0],):
            raise ValueError(f"metric {definition.key} gave {values.shape}, not N values")
        out[definition.key] = values
    return out
