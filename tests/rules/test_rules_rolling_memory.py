"""Rolling windows in O(bars) memory (rules.indicators): a 2,000-bar window over 100,000 bars
stays within a few MB of allocations (tracemalloc's peak), and the blocked standard deviation
gives the very floats of the whole-array formula it replaced, on random data."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from rules import indicators as ind

BARS, WINDOW = 100_000, 2_000
"""The adversary's shape: a 5-minute ticker's history and the longest window EXPR allows."""

PEAK_MB = 32
"""The most one indicator call may allocate at once on BARS bars: a few series of 0.8 MB
and one block of windows (``BLOCK_VALUES``); the whole-array formula took 1,571 MB."""


def whole_array_stddev(x: np.ndarray, n: int) -> np.ndarray:
    """The standard deviation as computed before blocking: every window at once."""
    mean = ind.sma(x, n)
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    dev = sliding_window_view(x, n) - mean[n - 1 :, None]
    out[n - 1 :] = np.sqrt(np.einsum("ij,ij->i", dev, dev) / n)
    return out


def _walk(n_bars: int, seed: int) -> np.ndarray:
    return 100 + np.cumsum(np.random.default_rng(seed).normal(size=n_bars))


def _peak_mb(function, *args) -> float:
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "function", [ind.stddev, ind.zscore, ind.rolling_max, ind.rolling_min], ids=lambda f: f.__name__
)
def test_a_2000_bar_window_over_100000_bars_allocates_a_few_mb(function):
    """The peak allocation is O(bars + block), not bars × window."""
    assert _peak_mb(function, _walk(BARS, 1), WINDOW) < PEAK_MB


def test_bollinger_of_a_2000_bar_window_over_100000_bars_allocates_a_few_mb():
    assert _peak_mb(ind.bollinger, _walk(BARS, 2), WINDOW, 2.0) < PEAK_MB


def test_the_blocked_stddev_equals_the_whole_array_formula_bit_for_bit():
    """Random lengths, windows, scales, NaN gaps and flat stretches, including windows longer
    than a block (one window per block) and a last block of one row."""
    rng = np.random.default_rng(0)
    for trial in range(200):
        n_bars = int(rng.integers(1, 6_000))
        n = int(rng.integers(1, 1_500))
        scale = float(rng.choice([1e-3, 1.0, 1e4]))
        x = rng.normal(size=n_bars).cumsum() * scale + float(rng.choice([0.0, 100.0, 1e6]))
        if trial % 3 == 0:
            x[rng.integers(0, n_bars, size=max(1, n_bars // 50))] = np.nan
        if trial % 5 == 0:
            x[: n_bars // 3] = 5.0
        np.testing.assert_array_equal(ind.stddev(x, n), whole_array_stddev(x, n))


def test_the_blocked_stddev_equals_the_whole_array_formula_on_the_adversary_shape():
    x = _walk(BARS, 3)
    np.testing.assert_array_equal(ind.stddev(x, WINDOW), whole_array_stddev(x, WINDOW))


def test_block_edges_give_the_whole_array_values(monkeypatch):
    """Blocks of 1, 2 and 3 rows (a tiny BLOCK_VALUES) still give the same floats."""
    x = _walk(500, 4)
    for block in (7, 14, 21):
        monkeypatch.setattr(ind, "BLOCK_VALUES", block)
        np.testing.assert_array_equal(ind.stddev(x, 7), whole_array_stddev(x, 7))
