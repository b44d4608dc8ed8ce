"""engine.libm: the C library's log and exp, compiled or not, the same bits on every CPU,
and the spread estimators that take them the same whatever vector loops numpy runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import _libm_kernel, compiled, libm
from tests.numpy_loops import printed_in_child

SPECIAL = [0.0, -0.0, -1.0, math.inf, -math.inf, math.nan, 5e-324, 1e-310, 709.8, 710.0, -746.0]


def _math_path(function, values: np.ndarray) -> np.ndarray:
    """``function`` (``libm.log`` or ``libm.exp``) as a process without numba runs it."""
    patch = pytest.MonkeyPatch()
    try:
        patch.setattr(libm, "loaded", lambda: False)
        return function(values)
    finally:
        patch.undo()


def _numpys(name: str, values: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.log(values) if name == "log" else np.exp(values)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(SPECIAL),
        min_size=0,
        max_size=300,
    )
)
def test_the_compiled_and_the_math_paths_give_the_c_librarys_bits(values):
    """Each value's log and exp, compiled and value by value through ``math``, are the
    same bits, and those of Python's ``math.log``/``math.exp`` where they are defined (0:
    -inf, a negative value: NaN, an exponent past the range: inf, as numpy)."""
    array = np.array(values, dtype=np.float64)
    cases = (("log", libm.log, _libm_kernel.logs), ("exp", libm.exp, _libm_kernel.exps))
    for name, function, kernel in cases:
        got = kernel(array)
        assert got.tobytes() == _math_path(function, array).tobytes(), name
        edges = _numpys(name, array)
        for at, value in enumerate(array.tolist()):
            if name == "log" and value > 0:
                assert got[at] == math.log(value)
            elif name == "exp" and -700 < value < 700:
                assert got[at] == math.exp(value)
            else:  # the edges as numpy has them
                assert np.array_equal(got[at], edges[at], equal_nan=True)


def test_the_compiled_path_is_taken_once_numba_is_loaded_and_keeps_the_shape():
    compiled.kernels()  # numba loaded, as in a run with a liquidity field
    grid = np.arange(1.0, 7.0).reshape(2, 3)
    assert libm.log(grid).shape == (2, 3)
    assert libm.exp(grid).tobytes() == np.array([math.exp(v) for v in grid.ravel()]).tobytes()
    # any shape reaches the kernels as the 1-d array they are warmed for: a Job (read-only
    # cache) never compiles another signature
    assert len(_libm_kernel.logs.signatures) == len(_libm_kernel.exps.signatures) == 1


SPREADS_CHILD = """
import hashlib
import sys
import numpy as np
from engine import liquidity
rng = np.random.default_rng(20261129)
n = 20_000
close = np.maximum(5_000 + np.cumsum(rng.integers(-60, 61, n)), 500) / 100.0
high = close * (1 + rng.uniform(0, 0.03, n))
low = close * (1 - rng.uniform(0, 0.03, n))
if sys.argv[1] == "compiled":
    import engine.compiled
    engine.compiled.kernels()
for model in liquidity.SPREAD_MODELS:
    spread = liquidity.spread_series(model, high, low, close, 20)
    assert np.isfinite(spread).sum() > n // 2
    sys.stdout.write(hashlib.sha256(spread.tobytes()).hexdigest() + "\\n")
"""


@pytest.mark.parametrize("path", ["python", "compiled"])
def test_a_spread_estimate_is_the_same_bits_whatever_vector_loops_numpy_runs(path):
    """Both spread models on 20,000 bars in a process whose numpy runs only its baseline
    loops give the same bits as in one that runs its fastest, with and without numba
    loaded. (With numpy's ``log`` and ``exp``, as before, this fails on an AVX-512 CPU.)"""
    fastest = printed_in_child(SPREADS_CHILD, [path])
    assert len(fastest.split()) == 2
    assert printed_in_child(SPREADS_CHILD, [path], baseline=True) == fastest


LOGITS_CHILD = """
import hashlib
import sys
import numpy as np
from adapters.cscv import block_stats, probability_of_backtest_overfitting
rng = np.random.default_rng(20261129)
returns = rng.normal(0.0003, 0.01, (40, 2_000)).round(4)  # four decimals: no transcendental
result = probability_of_backtest_overfitting(block_stats(returns, 16))
sys.stdout.write(hashlib.sha256(result.logits.tobytes()).hexdigest() + "\\n")
"""


def test_a_sweeps_overfitting_logits_are_the_same_bits_whatever_vector_loops_numpy_runs():
    """CSCV's logits (stored in a sweep's statistics) with numpy's dispatched loops
    switched off equal those with its fastest loops: the logit's logarithm is the C
    library's. (With numpy's ``log`` this fails on an AVX-512 CPU.)"""
    assert printed_in_child(LOGITS_CHILD) == printed_in_child(LOGITS_CHILD, baseline=True)
