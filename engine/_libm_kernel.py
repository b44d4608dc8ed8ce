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
    """``math.log`` of each value (0: -inf; negative or NaN: NaN), the array's shape."""
    flat = values.ravel()
    out = np.empty(flat.size)
    for i in range(flat.size):
        value = flat[i]
        if value > 0.0:
            out[i] = math.log(value)
        elif value == 0.0:
            out[i] = -math.inf
        else:
            out[i] = math.nan
    return out.reshape(values.shape)


@njit(cache=True, nogil=True)
def exps(values: np.ndarray) -> np.ndarray:
    """``math.exp`` of each value (inf past its range, NaN for NaN), the array's shape."""
    flat = values.ravel()
    out = np.empty(flat.size)
    for i in range(flat.size):
        out[i] = math.exp(flat[i])
    return out.reshape(values.shape)


kernel_stamp.forget_stale(__name__, globals())
