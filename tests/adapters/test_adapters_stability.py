"""adapters.stability: the best cell's neighbourhood on a sweep grid, spike against plateau."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.stability import grid_from_indices, neighbourhood


def test_a_lone_spike_has_weak_neighbours_and_a_plateau_strong_ones():
    """5 × 5 Sharpe grid at 0.2 with one cell at 2.0: the eight neighbours' median is 0.2
    (ratio 0.1, gap 1.8); the same grid with the 3 × 3 around it at 1.9: ratio 0.95."""
    spike = np.full((5, 5), 0.2)
    spike[2, 3] = 2.0
    out = neighbourhood(spike)
    assert out["index"] == [2, 3] and out["best"] == 2.0 and out["neighbours"] == 8
    assert out["neighbour_median"] == pytest.approx(0.2)
    assert out["neighbour_ratio"] == pytest.approx(0.1)
    assert out["neighbour_gap"] == pytest.approx(1.8)
    plateau = spike.copy()
    plateau[1:4, 2:5] = 1.9
    plateau[2, 3] = 2.0
    assert neighbourhood(plateau)["neighbour_ratio"] == pytest.approx(0.95)


def test_edges_clip_the_neighbourhood_and_missing_cells_are_left_out():
    """A corner best on a 3 × 3 grid has 3 neighbours, one of them missing (NaN): 2 count."""
    grid = np.array([[5.0, 1.0, 0.0], [np.nan, 3.0, 0.0], [0.0, 0.0, 0.0]])
    out = neighbourhood(grid)
    assert out["index"] == [0, 0] and out["neighbours"] == 2
    assert out["neighbour_median"] == pytest.approx(2.0)


def test_three_parameters_give_26_neighbours_and_lower_is_better_picks_the_minimum():
    """A 3-D grid (values 0..26 in a 3 × 3 × 3 cube): the centre's 26 neighbours; for a
    drawdown (lower is better) the best is the minimum, 0 at the origin, and the gap is
    median − best."""
    grid = np.arange(27, dtype=np.float64).reshape(3, 3, 3)
    grid[1, 1, 1] = 100.0
    out = neighbourhood(grid)
    assert out["index"] == [1, 1, 1] and out["neighbours"] == 26
    low = neighbourhood(grid, higher_is_better=False)
    assert low["index"] == [0, 0, 0] and low["neighbours"] == 7
    assert low["neighbour_gap"] == pytest.approx(np.median([1, 3, 4, 9, 10, 12, 100]))
    assert low["neighbour_ratio"] is None  # the best is 0


def test_a_grid_without_values_or_a_lone_cell_reports_nothing_to_compare():
    """All NaN: nothing; a single finite cell: its value but no neighbours."""
    assert neighbourhood(np.full((2, 2), np.nan))["best"] is None
    lone = neighbourhood(np.array([[np.nan, 1.5]]))
    assert lone["best"] == 1.5 and lone["neighbours"] == 0 and lone["neighbour_median"] is None


def test_grid_from_indices_places_each_combination_by_its_value_indices():
    """Combinations as (fast, slow) value indices: the grid holds them, NaN elsewhere."""
    grid = grid_from_indices(np.array([[0, 0], [1, 2], [0, 2]]), np.array([1.0, 2.0, 3.0]))
    assert grid.shape == (2, 3)
    assert grid[1, 2] == 2.0 and grid[0, 2] == 3.0 and np.isnan(grid[1, 0])
    with pytest.raises(ValueError, match="indices"):
        grid_from_indices(np.array([[0, 5]]), np.array([1.0]), shape=(2, 3))
    with pytest.raises(ValueError, match="indices"):
        grid_from_indices(np.array([[0, -1]]), np.array([1.0]))
