"""Risk weights of windows with fewer returns than tickers (engine/portfolio/covariance.py):
the factored Ledoit-Wolf covariance a I + b X'X answers every question the solvers ask as
the dense matrix does, every risk weighting over it equals the dense solve's weights to 1e-12
on random universes (correlated returns, late listings, missing days), and a wide universe
never builds a tickers x tickers matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from engine.portfolio.covariance import DenseCovariance, factored_ledoit_wolf, ledoit_wolf
from engine.portfolio.risk import (
    MIN_RETURNS,
    RISK_METHODS,
    dense_weights,
    risk_weights,
    trailing_returns,
)

EQUAL_TO = 1e-12


def _factor_close(seed: int, n_bars: int, n_tickers: int, gaps: bool = True) -> np.ndarray:
    """Closes driven by two market factors plus noise (betas of both signs, so minimum
    variance leaves some tickers out); with ``gaps``, a fifth listed late and 2 % of the
    bars missing."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(0.0, 0.01, (n_bars, 2))
    betas = rng.normal([1.0, 0.0], [0.4, 0.6], (n_tickers, 2))
    noise = rng.normal(0.0, rng.uniform(0.005, 0.03, n_tickers), (n_bars, n_tickers))
    close = 50.0 * np.exp(np.cumsum(factors @ betas.T + noise, axis=0))
    if not gaps:
        return close
    late = rng.random(n_tickers) < 0.2
    first = np.where(late, rng.integers(1, n_bars // 2, n_tickers), 0)
    close[(np.arange(n_bars)[:, None] < first) | (rng.random(close.shape) < 0.02)] = np.nan
    return close


def _window(seed: int, n: int, p: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.01, (n, 2)) @ rng.normal(1.0, 0.5, (2, p)) + rng.normal(
        0.0, rng.uniform(0.005, 0.03, p), (n, p)
    )


@pytest.mark.parametrize(("n", "p"), [(3, 5), (20, 60), (63, 300)])
def test_the_factored_covariance_answers_as_the_dense_matrix(n, p):
    """Variances, products, quadratic forms, shifted solves and block solves."""
    returns = _window(n * p, n, p)
    factored = factored_ledoit_wolf(returns)
    assert factored is not None
    dense = DenseCovariance(ledoit_wolf(returns))
    rng = np.random.default_rng(p)
    v, shift = rng.normal(size=p), rng.uniform(0.0, 1e-3, p)
    block = np.flatnonzero(rng.random(p) < 0.5)
    pairs = [
        (factored.diagonal(), dense.diagonal()),
        (factored.times(v), dense.times(v)),
        (np.array([factored.quadratic(v)]), np.array([dense.quadratic(v)])),
        (factored.solve_shifted(shift, v), dense.solve_shifted(shift, v)),
        (factored.solve_block(block, v[block]), dense.solve_block(block, v[block])),
    ]
    for got, expected in pairs:
        assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max()


@pytest.mark.parametrize("method", RISK_METHODS)
@pytest.mark.parametrize(
    ("seed", "n_tickers", "lookback"), [(1, 40, 63), (2, 120, 63), (3, 150, 21), (4, 90, 126)]
)
def test_risk_weights_of_wide_windows_equal_the_dense_solves_to_1e_12(
    method, seed, n_tickers, lookback
):
    """Every decision of a universe (every 10th bar, about 90 % of the listed tickers
    chosen) against the dense Ledoit-Wolf matrix's weights of the same window; most
    windows have fewer returns than tickers and are solved factored."""
    close = _factor_close(seed, 300, n_tickers)
    rng = np.random.default_rng(seed)
    chosen = np.isfinite(close) & (rng.random(close.shape) < 0.9)
    chosen &= (np.arange(close.shape[0]) % 10 == 0)[:, None]
    got = risk_weights(close, chosen, method=method, lookback=lookback)
    factored = 0
    for t, columns, returns in trailing_returns(close, chosen, lookback):
        n, p = returns.shape
        solved = n >= MIN_RETURNS and p > 1
        expected = dense_weights(returns, method) if solved else np.full(p, 1.0 / p)
        assert np.abs(got[t, columns] - expected).max() <= EQUAL_TO, t
        if solved and n < p and factored_ledoit_wolf(returns) is not None:
            factored += 1
    assert factored >= 10
    if method == "min_variance":  # the active set, with tickers at their bound 0, is solved too
        assert (got[chosen] == 0).any()


def test_a_window_too_near_singular_for_the_factored_form_is_weighted_as_before():
    """Two returns give no shrinkage: not factored, the dense check weights them equally."""
    returns = _window(7, 2, 30)
    assert factored_ledoit_wolf(returns) is None
    close = np.vstack([np.full(30, 50.0), 50.0 * np.cumprod(1.0 + returns, axis=0)])
    chosen = np.zeros(close.shape, dtype=bool)
    chosen[-1] = True
    got = risk_weights(close, chosen, method="equal_risk_contribution")
    assert got[-1].tolist() == [1 / 30] * 30


@pytest.mark.parametrize("method", RISK_METHODS)
def test_a_wide_universes_risk_weights_never_hold_a_tickers_by_tickers_matrix(method):
    """3,000 tickers, one decision on 63 returns: the peak allocation (a few 64 x 3,000
    arrays) stays under a quarter of one 3,000 x 3,000 float64 matrix."""
    n_tickers = 3_000
    close = _factor_close(11, 64, n_tickers, gaps=False)
    chosen = np.zeros(close.shape, dtype=bool)
    chosen[-1] = True
    tracemalloc.start()
    try:
        got = risk_weights(close, chosen, method=method)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got[-1].sum() == pytest.approx(1.0, abs=1e-12)
    assert peak < n_tickers * n_tickers * 8 / 4
