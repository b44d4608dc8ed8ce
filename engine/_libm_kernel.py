"""``engine.libm`` compiled (numba): each value's C-library ``log`` or ``exp`` in one loop
(numba calls the C library's functions for ``math.log`` and ``math.exp``, as Python does),
the same bits as the ``math`` path (tests/engine/test_engine_libm.py). Cached on disk like
the other kernels and warmed with them (``engine.compiled.warm``)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine import kernel_stamp


@njit(cache=True, nogil=True)
def logs(values: np.ndarray) -> np.ndarray:
    """``math.log`` of each of the 1-d ``values`` (0: -inf; negative or NaN: NaN)."""
    out = np.empty(values.size)
    for i in range(values.size):
        value = values[i]
        if value > 0.0:
            out[i] = math.log(value)
        elif value == 0.0:
            out[i] = -math.inf
        else:
            out[i] = math.nan
    return out


@njit(cache=True, nogil=True)
def exps(values: np.ndarray) -> np.ndarray:
    """``math.exp`` of each of the 1-d ``values`` (inf past its range, NaN for NaN)."""
    out = np.empty(values.size)
    for i in range(values.size):
        out[i] = math.exp(values[i])
    return out


kernel_stamp.forget_stale(__name__, globals())
