"""adapters._plain: numpy values as JSON-safe Python values."""

from __future__ import annotations

import json

import numpy as np

from adapters._plain import float_list, number


def test_float_list_replaces_nan_and_infinities_with_none():
    """NaN, +inf and -inf become None; finite values stay floats."""
    out = float_list(np.array([1.5, np.nan, np.inf, -np.inf, -2.0]))
    assert out == [1.5, None, None, None, -2.0]
    assert json.dumps(out, allow_nan=False) == "[1.5, null, null, null, -2.0]"


def test_float_list_returns_python_floats():
    """Values are Python floats (not numpy scalars), also from integer input."""
    out = float_list(np.array([1, 2], dtype=np.int64))
    assert out == [1.0, 2.0]
    assert all(type(v) is float for v in out)
    assert all(type(v) is float for v in float_list(np.array([np.nan, 3.0])) if v is not None)


def test_number_converts_numpy_scalars_and_rejects_non_finite_values():
    """number(): float for finite values, None for None, NaN and infinities."""
    assert number(np.float32(1.5)) == 1.5 and type(number(np.float32(1.5))) is float
    assert number(np.int64(3)) == 3.0
    assert number(None) is None
    assert number(float("nan")) is None
    assert number(np.float64(np.inf)) is None
