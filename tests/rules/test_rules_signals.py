"""rules.signals: crossings, their edge cases (equality, NaN, bar 0) and 2-D rows."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from rules import signals
from rules.signals import cross_above, cross_below

NAN = float("nan")


def test_cross_above_marks_only_the_bar_of_the_cross():
    """Staying above is not a new cross; going back below and up again is."""
    a = np.array([1.0, 3, 4, 1, 5])
    b = np.array([2.0, 2, 2, 2, 2])
    np.testing.assert_array_equal(cross_above(a, b), [False, True, False, False, True])
    np.testing.assert_array_equal(cross_below(a, b), [False, False, False, True, False])


def test_equality_on_the_previous_bar_counts_as_not_yet_crossed():
    """a[t−1] == b[t−1] then a[t] > b[t] is a cross above (and < is a cross below)."""
    a = np.array([2.0, 3, 2, 1])
    np.testing.assert_array_equal(cross_above(a, 2.0), [False, True, False, False])
    np.testing.assert_array_equal(cross_below(a, 2.0), [False, False, False, True])


def test_touching_without_crossing_is_no_signal():
    """Reaching equality from below and falling back is neither cross."""
    a = np.array([1.0, 2, 1, 2, 2])
    assert not cross_above(a, 2.0).any()
    np.testing.assert_array_equal(cross_below(a, 2.0), [False, False, True, False, False])


@pytest.mark.parametrize("position", [0, 1])
def test_nan_on_either_bar_never_crosses(position):
    """A NaN in a or b on bar t or t−1 makes that pair of bars no cross."""
    a = np.array([1.0, 3.0])
    b = np.array([2.0, 2.0])
    a_nan, b_nan = a.copy(), b.copy()
    a_nan[position] = NAN
    b_nan[position] = NAN
    for x, y in ((a_nan, b), (a, b_nan)):
        assert not cross_above(x, y).any()
        assert not cross_below(-x, -y).any()


def test_bar_zero_is_never_a_cross():
    """With no previous bar there is nothing to cross from."""
    assert not cross_above(np.array([5.0]), 1.0).any()
    assert not cross_below(np.array([0.0, 0.0]), 1.0)[0]


def test_two_dimensional_rows_equal_one_dimensional_calls():
    """(N, T) inputs cross row by row along the last axis, against a shared 1-D b."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(4, 50))
    b = rng.normal(size=50)
    above, below = cross_above(a, b), cross_below(a, b)
    assert above.shape == below.shape == (4, 50)
    for row in range(4):
        np.testing.assert_array_equal(above[row], cross_above(a[row], b))
        np.testing.assert_array_equal(below[row], cross_below(a[row], b))


def test_scalars_alone_are_rejected():
    """Two scalars have no time axis."""
    with pytest.raises(ValueError):
        cross_above(1.0, 2.0)


def test_docstring_examples_hold():
    """Every >>> example in rules.signals runs as written."""
    assert doctest.testmod(signals).failed == 0
