"""adapters.montecarlo: seeded trade reshuffling and stationary block bootstrap of one run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from adapters.montecarlo import (
    PERCENTILES,
    bootstrap_indices,
    reshuffle_trades,
    stationary_bootstrap,
)

TRADES = np.array([0.05, -0.03, 0.08, -0.06, 0.02, -0.04, 0.07, -0.02, 0.01, -0.05])


def test_the_same_inputs_and_seed_give_byte_identical_answers_and_another_seed_differs():
    """JSON of two calls with seed 7 are equal byte for byte; seed 8 moves the drawdowns."""
    returns = np.random.default_rng(1).normal(0.0005, 0.01, 300)
    for run in (
        lambda seed: reshuffle_trades(TRADES, 500, seed),
        lambda seed: stationary_bootstrap(returns, 5.0, 500, seed),
    ):
        assert json.dumps(run(7), allow_nan=False) == json.dumps(run(7), allow_nan=False)
        assert run(7)["max_drawdown_pct"] != run(8)["max_drawdown_pct"]


def test_reshuffling_keeps_the_total_return_and_moves_the_max_drawdown():
    """Compounded trade returns: every order ends at Π(1 + r), so all total-return
    percentiles equal it and the probability of a loss is 0 or 1; the max drawdown varies
    with the order, and the original order's drawdown lies within the simulated range."""
    out = reshuffle_trades(TRADES, 2000, seed=3)
    total = (np.prod(1 + TRADES) - 1) * 100
    assert [out["total_return_pct"][f"p{p}"] for p in PERCENTILES] == pytest.approx(
        [total] * len(PERCENTILES), rel=1e-12
    )
    assert out["prob_loss"] == float(total < 0)
    drawdowns = out["max_drawdown_pct"]
    assert drawdowns["p5"] < drawdowns["p95"]
    equity = np.r_[1.0, np.cumprod(1 + TRADES)]
    own = ((np.maximum.accumulate(equity) - equity) / np.maximum.accumulate(equity)).max() * 100
    assert drawdowns["p5"] <= own <= drawdowns["p95"] * 1.5


def test_resampling_trades_with_replacement_spreads_the_total_return():
    """A bootstrap of the trades (replace=True) changes the total return path by path."""
    out = reshuffle_trades(TRADES, 2000, seed=3, replace=True)
    assert out["total_return_pct"]["p5"] < out["total_return_pct"]["p95"]
    assert 0.0 < out["prob_loss"] < 1.0


def test_a_bootstrap_of_a_constant_series_is_that_series():
    """Every path of a constant 0.1 % a bar compounds to the same total and never draws down."""
    out = stationary_bootstrap(np.full(250, 0.001), 10.0, 200, seed=1)
    totals = list(out["total_return_pct"].values())
    assert totals == pytest.approx([(1.001**250 - 1) * 100] * len(PERCENTILES), rel=1e-12)
    assert set(out["max_drawdown_pct"].values()) == {0.0}
    assert out["prob_loss"] == 0.0


def test_percentiles_are_ordered_and_a_losing_series_mostly_loses():
    """Percentiles never decrease; a series drifting down loses on most bootstrap paths."""
    returns = np.random.default_rng(5).normal(-0.002, 0.01, 500)
    out = stationary_bootstrap(returns, 20.0, 1000, seed=2)
    for key in ("total_return_pct", "max_drawdown_pct"):
        values = [out[key][f"p{p}"] for p in PERCENTILES]
        assert values == sorted(values)
    assert out["prob_loss"] > 0.9
    assert out["n_paths"] == 1000


def test_bootstrap_blocks_are_runs_of_consecutive_bars_with_the_mean_length_asked():
    """Indices advance by one bar (circularly) inside a block; blocks average L = 8 bars."""
    idx = bootstrap_indices(1000, 8.0, 200, seed=4)
    continues = (idx[:, 1:] - idx[:, :-1]) % 1000 == 1
    breaks = (~continues).sum() + idx.shape[0]  # plus the block each path starts with
    assert idx.size / breaks == pytest.approx(8.0, rel=0.05)
    assert idx.min() == 0 and idx.max() == 999


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: reshuffle_trades(np.array([]), 10), "trade_returns"),
        (lambda: reshuffle_trades(np.array([0.1, -1.0]), 10), "trade_returns"),
        (lambda: reshuffle_trades(TRADES, 0), "n_paths"),
        (lambda: reshuffle_trades(TRADES, 10**7), "n_paths"),
        (lambda: stationary_bootstrap(np.array([0.01]), 1.0), "returns"),
        (lambda: stationary_bootstrap(np.zeros(50), 0.5), "mean_block"),
        (lambda: stationary_bootstrap(np.zeros(50), 60.0), "mean_block"),
    ],
)
def test_bad_inputs_are_refused_naming_the_argument(call, field):
    """Empty or impossible returns, too many or no paths, a block length outside 1..T."""
    with pytest.raises(ValueError, match=field):
        call()
