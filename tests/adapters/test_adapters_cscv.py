"""adapters.cscv: PBO by combinatorially symmetric cross-validation on per-block sums, on
noise (no skill), on a grid with one truly better combination, and the block algebra."""

from __future__ import annotations

import json
from math import comb

import numpy as np
import pytest

from adapters.cscv import (
    BlockStats,
    block_stats,
    probability_of_backtest_overfitting,
    split_masks,
    union_sharpe,
)


def noise(seed: int, n_combos: int = 200, n_bars: int = 1000) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.01, (n_combos, n_bars))


def test_the_sharpe_of_a_union_of_blocks_equals_the_sharpe_of_its_concatenated_returns():
    """Blocks 0, 3, 4, 9 and 15 of 16 (1,003 bars, uneven blocks): mean / std(ddof 1) of the
    returns those blocks hold, for each of 5 combinations."""
    r = noise(2, 5, 1003) + 0.0004
    stats = block_stats(r, 16)
    edges = np.r_[0, np.cumsum(stats.counts)]
    assert edges[-1] == 1003 and stats.counts.min() >= 62
    chosen = [0, 3, 4, 9, 15]
    mask = np.zeros(16, dtype=np.int8)
    mask[chosen] = 1
    joined = np.concatenate([r[:, edges[b] : edges[b + 1]] for b in chosen], axis=1)
    expected = joined.mean(axis=1) / joined.std(axis=1, ddof=1)
    np.testing.assert_allclose(union_sharpe(stats, mask), expected, rtol=1e-10)
    np.testing.assert_allclose(union_sharpe(stats, mask[None, :])[:, 0], expected, rtol=1e-10)


def test_a_combination_that_never_trades_has_no_sharpe_on_any_union():
    """Zero returns everywhere (and a constant return): no variance, NaN Sharpe."""
    stats = block_stats(np.vstack([np.zeros(40), np.full(40, 0.001)]), 4)
    assert np.isnan(union_sharpe(stats, np.array([1, 0, 1, 0]))).all()


def test_sixteen_blocks_give_all_12870_splits_in_complementary_pairs():
    """C(16, 8) = 12,870 splits: 6,435 masks holding block 0, 8 blocks each, all distinct."""
    masks = split_masks(16)
    assert masks.shape == (comb(16, 8) // 2, 16)
    assert (masks.sum(axis=1) == 8).all() and (masks[:, 0] == 1).all()
    assert len({row.tobytes() for row in masks}) == masks.shape[0]
    result = probability_of_backtest_overfitting(block_stats(noise(0, 20, 400)))
    assert result.n_splits == 12870 == result.logits.size == result.oos_sharpe.size


def test_pure_noise_gives_a_pbo_of_one_half_on_average():
    """No combination has skill (iid normal returns, mean 0): the IS best's OOS rank is
    uniform, so PBO averages 0.5. One realisation's PBO spreads widely (the splits share the
    same bars), so the mean over 200 seeded noise sweeps (100 combinations × 400 bars, S = 8)
    is checked, and half of the pooled logits are at or below 0."""
    pbos, logits = [], []
    for seed in range(200):
        result = probability_of_backtest_overfitting(block_stats(noise(seed, 100, 400), 8))
        pbos.append(result.pbo)
        logits.append(result.logits)
    assert np.mean(pbos) == pytest.approx(0.5, abs=0.05)
    assert np.mean(np.concatenate(logits) <= 0) == pytest.approx(0.5, abs=0.05)


def test_noise_selected_on_noise_with_no_edge_over_the_window_overfits_for_certain():
    """200 noise combinations × 1,000 bars, each demeaned over the window (whatever edge one
    shows in sample it gives back out of sample): PBO ≥ 0.5 (here 1), OOS Sharpe falls with
    IS Sharpe (slope near −1), and the selected loses out of sample in most splits."""
    r = noise(1)
    r -= r.mean(axis=1, keepdims=True)
    result = probability_of_backtest_overfitting(block_stats(r, 16))
    assert result.pbo >= 0.5
    assert result.pbo > 0.99
    assert -1.3 < result.degradation_slope < -0.7
    assert result.prob_oos_loss > 0.99


def test_a_grid_where_one_combination_truly_dominates_has_a_pbo_near_zero():
    """199 noise combinations, one that never trades, and one with a real drift (per-bar
    Sharpe 0.3): it is the IS best and ranks first OOS in nearly every split."""
    r = noise(4)
    r[17] += 0.003
    r[3] = 0.0
    result = probability_of_backtest_overfitting(block_stats(r, 16), bars_per_year=252)
    assert result.pbo < 0.01
    assert result.prob_oos_loss < 0.01
    assert np.nanmedian(result.oos_sharpe) == pytest.approx(0.3 * np.sqrt(252), rel=0.25)
    payload = json.dumps(result.as_dict(), allow_nan=False)
    assert json.loads(payload)["n_splits"] == 12870


@pytest.mark.parametrize("n_blocks", [15, 1, 0, 2.0])
def test_an_odd_or_too_small_number_of_blocks_is_refused_by_name(n_blocks):
    """S must be an even integer ≥ 2."""
    with pytest.raises(ValueError, match="n_blocks"):
        block_stats(noise(0, 3, 100), n_blocks)


def test_too_few_bars_or_combinations_are_refused_by_name():
    """Fewer than 2 returns per block; CSCV of a single combination; a block without bars."""
    with pytest.raises(ValueError, match="returns has 31 bars"):
        block_stats(noise(0, 3, 31), 16)
    with pytest.raises(ValueError, match="stats"):
        probability_of_backtest_overfitting(block_stats(noise(0, 1, 100), 4))
    stats = block_stats(noise(0, 3, 100), 4)
    with pytest.raises(ValueError, match="counts"):
        probability_of_backtest_overfitting(
            BlockStats(stats.sums, stats.squares, np.array([50, 50, 0, 0]))
        )
    with pytest.raises(ValueError, match="n_blocks"):
        probability_of_backtest_overfitting(
            BlockStats(stats.sums[:, :3], stats.squares[:, :3], stats.counts[:3])
        )
