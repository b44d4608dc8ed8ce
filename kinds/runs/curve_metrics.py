"""The metrics beyond the built-in ones, computed: each registry row that names a function
(``metrics.MetricDef.function``, ``"module:name"``) is called with the curves
(``adapters.metrics.Curves``) and gives N values. A single run calls ``named_metrics`` with
N = 1 (``kinds.runs.execute``, through ``one_curve_metrics``), a sweep with a block of
combinations (``kinds.sweeps.evaluate``), a walk-forward with its stitched out-of-sample
curve (``kinds.walkforward.outcome``, through ``one_curve_metrics``): the same code, so a
combination's value equals the run's.

The names come from the registry (code), never from a request.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from adapters.metrics import Curves
from engine import bar_returns
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
        # a copy: a function may give a view of the curves (``curves.equity[:, -1]``), and
        # a sweep writes its next block's curves into the same memory
        values = np.array(_function(definition.function)(curves), dtype=np.float64)
        if values.shape != (equity.shape[0],):
            raise ValueError(f"metric {definition.key} gave {values.shape}, not N values")
        out[definition.key] = values
    return out


def one_curve_metrics(
    timestamps: np.ndarray,
    equity: np.ndarray,
    metrics: Mapping[str, Any],
    bars_per_year: float,
    returns: np.ndarray | None = None,
) -> dict[str, float | None]:
    """``named_metrics`` of ONE equity curve (T): a run's, or a walk-forward's stitched one,
    given the metrics already computed for it (``metrics``: plain values, None where
    undefined); None where a value is undefined, empty when no metric names a function.
    ``returns``: the curve's ``bar_returns`` (1 × T − 1) when the caller has them already."""
    if not curve_functions():
        return {}
    curve = np.asarray(equity, dtype=np.float64)[None, :]
    known = {
        key: np.array([np.nan if v is None else v], dtype=np.float64)
        for key, v in metrics.items()
        if isinstance(v, int | float | None)
    }
    if returns is None:
        returns = bar_returns(curve)
    values = named_metrics(timestamps, curve, returns, bars_per_year, known)
    return {key: float(v[0]) if np.isfinite(v[0]) else None for key, v in values.items()}
