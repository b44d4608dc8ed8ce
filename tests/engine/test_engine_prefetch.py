"""``engine._prefetch.prefetch``: a hint to the caches, with no effect on what a compiled
loop computes or on the array it names, whatever index it is given."""

from __future__ import annotations

import numpy as np
from numba import njit

from engine._prefetch import prefetch


@njit(cache=False)
def _sum_asking_ahead(values: np.ndarray, lead: int) -> float:
    total = 0.0
    for i in range(values.size):
        prefetch(values, i + lead)  # past the end too: never read
        total += values[i]
    return total


def test_a_loop_asking_for_lines_ahead_sums_as_one_that_does_not():
    values = np.random.default_rng(3).normal(size=10_001)
    before = values.copy()
    for lead in (0, 8, 64, 20_000):
        assert _sum_asking_ahead(values, lead) == _sum_asking_ahead(values, 0)
    assert np.array_equal(values, before)
    assert _sum_asking_ahead(np.empty(0), 8) == 0.0
