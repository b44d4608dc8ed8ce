"""Risk-based weights: a shrunk covariance of the trailing returns known at each decision's
close and the long-only inverse-volatility, equal-risk-contribution and minimum-variance
solutions over it (``risk_weights``, used by ``target_weights``).

Pure numpy, deterministic, no solver library: the covariance is Ledoit-Wolf's shrinkage
towards a scaled identity (the estimator of scikit-learn's ``LedoitWolf``, stable when a
lookback has fewer returns than tickers; ``engine.portfolio.covariance``, factored when the
window has fewer returns than tickers); equal risk contribution is Newton's method on its
convex form; minimum variance is a primal active-set method (exact, finite). Each decision
is solved from its own window alone. skfolio is the test oracle
(tests/engine/test_portfolio_risk.py, docs/portfolios.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from engine.portfolio.covariance import (
    Covariance,
    DenseCovariance,
    factored_ledoit_wolf,
    ledoit_wolf,
)
from engine.portfolio.prices import last_close

RISK_METHODS = ("inverse_volatility", "equal_risk_contribution", "min_variance")
"""The risk-based weightings ``risk_weights`` knows."""
DEFAULT_LOOKBACK = 63
"""Trailing returns a covariance is estimated from by default (about a quarter of days)."""
MIN_RETURNS = 2
"""Fewer trailing returns than this (the window's first bars, a ticker just listed): the
chosen tickers are weighted equally."""
SINGULAR = 1e-12
"""A covariance whose smallest Cholesky pivot is below this fraction of its largest variance
is singular for the solvers (two returns give Ledoit-Wolf no shrinkage): weighted equally."""

NEWTON_TOLERANCE = 1e-13
"""Equal risk contribution stops when the gradient's largest entry (relative to the
portfolio variance scale) is below this."""
MAX_ITERATIONS = 500
"""A bound on Newton steps and active-set changes; never reached on a positive-definite
covariance (a few tens are typical)."""


def inverse_volatility(cov: np.ndarray | Covariance) -> np.ndarray:
    """Weights proportional to 1 / each asset's volatility, summing to 1."""
    inverse = 1.0 / np.sqrt(_operator(cov).diagonal())
    return inverse / inverse.sum()


def equal_risk_contribution(cov: np.ndarray | Covariance) -> np.ndarray:
    """Long-only weights summing to 1 whose risk contributions w_i (cov w)_i are equal:
    y minimising y'Σy / 2 - Σ log(y_i) / p by damped Newton steps from the inverse-volatility
    point (y stays > 0), then w = y / Σy."""
    cov = _operator(cov)
    p = cov.diagonal().size
    budget = np.full(p, 1.0 / p)
    y = inverse_volatility(cov)
    y *= np.sqrt(1.0 / cov.quadratic(y))  # the optimum has y'Σy = 1
    for _ in range(MAX_ITERATIONS):
        gradient = cov.times(y) - budget / y
        if np.abs(gradient * y).max() < NEWTON_TOLERANCE:
            break
        step = -cov.solve_shifted(budget / y**2, gradient)
        shrink = step < 0
        room = float((-y[shrink] / step[shrink]).min()) if shrink.any() else np.inf
        alpha = min(1.0, 0.95 * room)
        if -float(gradient @ step) > NEWTON_TOLERANCE:  # far from the optimum: damp
            value = _erc_objective(cov, budget, y)
            while alpha > 1e-16 and _erc_objective(cov, budget, y + alpha * step) > value:
                alpha /= 2.0
        y = y + alpha * step
    return y / y.sum()


def _erc_objective(cov: Covariance, budget: np.ndarray, y: np.ndarray) -> float:
    return 0.5 * cov.quadratic(y) - float(budget @ np.log(y))


def min_variance(cov: np.ndarray | Covariance) -> np.ndarray:
    """Long-only weights summing to 1 of least variance w'Σw: a primal active-set method
    from equal weights (a weight at its bound 0 is active; each step solves the equality-
    constrained problem on the free weights and stops at the first bound it would cross)."""
    cov = _operator(cov)
    p = cov.diagonal().size
    w = np.full(p, 1.0 / p)
    free = np.ones(p, dtype=bool)
    scale = float(np.abs(cov.diagonal()).max())
    for _ in range(MAX_ITERATIONS):
        idx = np.flatnonzero(free)
        ones = np.ones(idx.size)
        solved = cov.solve_block(idx, ones)
        target = np.zeros(p)
        target[idx] = solved / solved.sum()
        step = target - w
        if np.abs(step).max() <= 1e-15:
            gradient = cov.times(w)
            level = float(gradient[idx].mean())
            slack = gradient - level  # the bound multipliers of the active weights
            slack[free] = np.inf
            worst = int(np.argmin(slack))
            if slack[worst] >= -1e-14 * scale:
                return target
            free[worst] = True
            continue
        blocking = free & (step < 0)
        ratios = np.full(p, np.inf)
        ratios[blocking] = w[blocking] / -step[blocking]
        hit = int(np.argmin(ratios))
        if ratios[hit] >= 1.0:
            w = target
            continue
        w = w + ratios[hit] * step
        w[hit] = 0.0
        free[hit] = False
    return w


def solve(method: str, cov: np.ndarray | Covariance) -> np.ndarray:
    """The ``method`` weights (one of ``RISK_METHODS``) of a positive-definite ``cov`` (a
    matrix or a ``Covariance``)."""
    if method == "inverse_volatility":
        return inverse_volatility(cov)
    if method == "equal_risk_contribution":
        return equal_risk_contribution(cov)
    if method == "min_variance":
        return min_variance(cov)
    raise ValueError(f"weighting: one of {', '.join(RISK_METHODS)}")


def _operator(cov: np.ndarray | Covariance) -> Covariance:
    return DenseCovariance(cov) if isinstance(cov, np.ndarray) else cov


def risk_weights(
    close: np.ndarray, chosen: np.ndarray, *, method: str, lookback: int = DEFAULT_LOOKBACK
) -> np.ndarray:
    """(T, N) weights: on each row with chosen tickers, ``method``'s weights (summing to 1)
    of the chosen ones, from the Ledoit-Wolf covariance of their last ``lookback`` close-to-
    close returns up to that row's close (a missing bar carries the last close: 0 return).
    The returns start after the latest first bar among the chosen, so every ticker has a
    price throughout; with fewer than ``MIN_RETURNS`` of them, or a singular covariance
    (``SINGULAR``), the chosen are weighted equally."""
    chosen = np.asarray(chosen, dtype=bool)
    close = np.asarray(close, dtype=np.float64)
    if close.shape != chosen.shape:
        raise ValueError(f"close: expected shape {chosen.shape}")
    if method not in RISK_METHODS:
        raise ValueError(f"weighting: one of {', '.join(RISK_METHODS)}")
    if int(lookback) != lookback or lookback < MIN_RETURNS:
        raise ValueError(f"lookback: an integer >= {MIN_RETURNS}")
    weights = np.zeros(chosen.shape)
    for t, columns, returns in trailing_returns(close, chosen, lookback):
        weights[t, columns] = _one(returns, method)
    return weights


def trailing_returns(
    close: np.ndarray, chosen: np.ndarray, lookback: int
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(row, its chosen columns, their returns window) for each row with chosen tickers:
    the windows ``risk_weights`` estimates from (its docstring says which)."""
    if not chosen.size:
        return
    mark = last_close(close)
    has_bar = np.isfinite(close)
    first = np.where(has_bar.any(axis=0), has_bar.argmax(axis=0), chosen.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        returns = np.vstack([np.full((1, close.shape[1]), np.nan), mark[1:] / mark[:-1] - 1.0])
    for t in np.flatnonzero(chosen.any(axis=1)).tolist():
        columns = np.flatnonzero(chosen[t])
        start = max(t - int(lookback) + 1, int(first[columns].max()) + 1, 1)
        yield t, columns, returns[start : t + 1, columns]


def _one(returns: np.ndarray, method: str) -> np.ndarray:
    """One decision's weights of its chosen tickers (equal when the data cannot say). A
    window of fewer returns than tickers is solved on the factored covariance
    (``covariance.FactoredCovariance``) when it is clearly positive definite."""
    n, p = returns.shape
    equal = np.full(p, 1.0 / p)
    if p == 1 or n < MIN_RETURNS:
        return equal
    factored = factored_ledoit_wolf(returns) if n < p else None
    weights = dense_weights(returns, method) if factored is None else solve(method, factored)
    return weights if np.all(np.isfinite(weights)) else equal


def dense_weights(returns: np.ndarray, method: str) -> np.ndarray:
    """``method``'s weights of a returns window (n >= 2, p >= 2) from its dense Ledoit-Wolf
    matrix; equal when its Cholesky factorisation finds it singular (``SINGULAR``)."""
    p = returns.shape[1]
    equal = np.full(p, 1.0 / p)
    cov = ledoit_wolf(returns)
    try:
        pivots = np.diag(np.linalg.cholesky(cov)) ** 2
    except np.linalg.LinAlgError:
        return equal
    if not pivots.min() > SINGULAR * np.diag(cov).max():
        return equal
    return solve(method, cov)
