"""The liquidity inputs' compiled windows (``engine._liquidity_kernel``) equal numpy's
(``engine.liquidity._numpy_windows``, the sliding views' ``mean`` and ``std(ddof=1)``) bit
for bit: random series with NaNs, zeros, signed zeros, negatives and infinities, windows
1 .. 300 (both sides of numpy's 8-value and 128-value thresholds), lengths 0 .. 2,000
(Hypothesis), compared as bytes (every NaN one value); and every estimator
(``trailing_adv``, ``trailing_volatility``, the two in one call ``volatility_and_adv``, the
two spreads) equal either way. A process without numba computes them with numpy and
imports none."""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine import _liquidity_kernel, liquidity
from tests.fresh import loaded_by

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPECIAL = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, -1.0, 1e300, 5e-324])
"""Values dropped into a series at random places."""


@st.composite
def series(draw, least_window: int = 1) -> tuple[np.ndarray, int]:
    """(a random series, a window): a random walk, noise of any scale, a constant or signed
    zeros, with special values (``SPECIAL``) at random places."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(0, 2000))
    window = draw(st.one_of(st.integers(least_window, 20), st.integers(least_window, 300)))
    rng = np.random.default_rng(seed)
    shape = draw(st.sampled_from(("walk", "noise", "constant", "zeros")))
    scale = 10.0 ** draw(st.integers(-8, 8))
    if shape == "walk":
        values = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n)))
    elif shape == "noise":
        values = rng.normal(0.0, scale, n)
    elif shape == "constant":
        values = np.full(n, scale)
    else:  # mostly -0.0: numpy's sum of a window of them is 0.0 (0.0 + -0.0)
        values = np.where(rng.random(n) < 0.9, -0.0, 0.0)
    share = draw(st.sampled_from((0.0, 0.001, 0.05, 0.5)))
    special = rng.random(n) < share
    values[special] = rng.choice(SPECIAL, int(special.sum()))
    return values, window


def _windows_equal(values: np.ndarray, window: int, std: bool = True) -> bool:
    """The compiled mean (and std) of ``window`` equal numpy's."""
    plan = _liquidity_kernel.halves(window)
    mean = _liquidity_kernel.trailing_mean(values, window, plan)
    if not _same(mean, liquidity._numpy_windows(values, window)):
        return False
    return not std or _same(
        _liquidity_kernel.trailing_std(values, window, plan),
        liquidity._numpy_windows(values, window, std=True),
    )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit, signed zeros apart, every NaN one value: which NaN an inf - inf
    or a NaN + NaN gives (its sign bit, its payload) is the machine's and the compiler's
    (an addition's operands may be swapped), never a number the engine reads."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    nan = np.isnan(a)
    return bool((nan == np.isnan(b)).all()) and a[~nan].tobytes() == b[~nan].tobytes()


@_SETTINGS
@given(series())
def test_the_compiled_trailing_mean_is_numpys(case):
    values, window = case
    assert _windows_equal(values, window, std=False)


@_SETTINGS
@given(series(least_window=2))
def test_the_compiled_trailing_std_and_mean_are_numpys(case):
    values, window = case
    assert _windows_equal(values, window)


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(0, 300), elements=st.floats(width=64)),
    st.integers(2, 40),
)
def test_any_floats_give_numpys_windows(values, window):
    """Any float64 values (subnormals, the largest, infinities of both signs)."""
    assert _windows_equal(values, window)


def _both(estimate, *args) -> tuple[np.ndarray, np.ndarray]:
    """(``estimate(*args)`` by numpy, the same compiled)."""
    with mock.patch.object(liquidity, "_kernel", lambda: None):
        by_numpy = estimate(*args)
    with mock.patch.object(liquidity, "_kernel", lambda: _liquidity_kernel):
        return by_numpy, estimate(*args)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series(least_window=2), st.integers(0, 2**32 - 1))
def test_every_estimator_is_the_same_either_way(case, seed):
    close, window = case
    rng = np.random.default_rng(seed)
    high = close * (1.0 + rng.uniform(0.0, 0.03, close.size))
    low = close * (1.0 - rng.uniform(0.0, 0.03, close.size))
    volume = np.abs(close) * 1e3
    volume[rng.random(close.size) < 0.02] = np.inf
    for estimate, args in (
        (liquidity.trailing_adv, (volume, window)),
        (liquidity.trailing_adv, (close, window)),  # negative, NaN and infinite volumes
        (liquidity.trailing_volatility, (close, window)),
        (liquidity.corwin_schultz, (high, low, window, close)),
        (liquidity.abdi_ranaldo, (high, low, close, window)),
    ):
        assert _same(*_both(estimate, *args)), estimate.__name__
    for volume_of in (volume, close):
        by_numpy, compiled = _both(liquidity.volatility_and_adv, close, volume_of, window)
        assert _same(compiled[0], liquidity.trailing_volatility(close, window))
        assert all(_same(a, b) for a, b in zip(by_numpy, compiled, strict=True))


def test_a_process_without_numba_estimates_with_numpy():
    """Without numba loaded the estimators run numpy's windows and import none (a small
    portfolio's Job); once it is loaded (here: the kernel's import), the compiled ones."""
    statement = (
        "import numpy as np\n"
        "from engine import liquidity\n"
        "liquidity.volatility_and_adv(np.linspace(1.0, 2.0, 50), np.ones(50), 5)\n"
        "assert liquidity._kernel() is None"
    )
    assert loaded_by(statement, ["numba", "engine._liquidity_kernel"]) == []
    assert liquidity._kernel() is _liquidity_kernel
