"""The Ledoit-Wolf shrunk covariance of a returns window, in the form its solvers read
(``engine.portfolio.risk``): a dense (p, p) matrix, or, for a window of fewer returns than
tickers, its factors a I + b X'X (X the n centred returns), whose products and shifted
solves cost O(n p) and O(n^2 p) instead of O(p^2) and O(p^3) (pure numpy, deterministic).

Both forms answer the same five questions (``Covariance``); the factored one equals the
dense one to rounding (the solvers' weights to 1e-12, tests/engine/test_portfolio_risk.py).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

FACTORED_FLOOR = 1e-6
"""The factored form is used only when its identity part a (shrinkage x mean variance)
is at least this fraction of the largest variance: then the covariance's smallest
eigenvalue, which a bounds from below, is far above ``risk.SINGULAR`` and no Cholesky
factorisation is needed to know it is positive definite."""


class Covariance(Protocol):
    """What the risk solvers ask of a covariance Σ (p x p, positive definite)."""

    def diagonal(self) -> np.ndarray:
        """(p,) the variances."""
        ...

    def times(self, v: np.ndarray) -> np.ndarray:
        """Σ v."""
        ...

    def quadratic(self, v: np.ndarray) -> float:
        """v'Σ v."""
        ...

    def solve_shifted(self, shift: np.ndarray, r: np.ndarray) -> np.ndarray:
        """(Σ + diag(shift))⁻¹ r, ``shift`` (p,) >= 0."""
        ...

    def solve_block(self, idx: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Σ[idx, idx]⁻¹ r: the block of the tickers ``idx``."""
        ...


class DenseCovariance:
    """A (p, p) covariance matrix as it is."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = matrix

    def diagonal(self) -> np.ndarray:
        return np.diag(self.matrix)

    def times(self, v: np.ndarray) -> np.ndarray:
        return self.matrix @ v

    def quadratic(self, v: np.ndarray) -> float:
        return float(v @ self.matrix @ v)

    def solve_shifted(self, shift: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.linalg.solve(self.matrix + np.diag(shift), r)

    def solve_block(self, idx: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.linalg.solve(self.matrix[np.ix_(idx, idx)], r)


class FactoredCovariance:
    """Σ = a I + b X'X, X (n, p) the centred returns: Ledoit-Wolf's shrinkage a = d mu and
    b = (1 - d) / n, never formed as a (p, p) matrix. A shifted solve is Woodbury's identity
    (D + b X'X)⁻¹ = D⁻¹ - b D⁻¹X' (I + b X D⁻¹ X')⁻¹ X D⁻¹, an n x n system."""

    def __init__(self, x: np.ndarray, a: float, b: float, variances: np.ndarray) -> None:
        self.x = x
        self.a = a
        self.b = b
        self.variances = variances

    def diagonal(self) -> np.ndarray:
        return self.variances

    def times(self, v: np.ndarray) -> np.ndarray:
        return self.a * v + self.b * (self.x.T @ (self.x @ v))

    def quadratic(self, v: np.ndarray) -> float:
        xv = self.x @ v
        return float(self.a * (v @ v) + self.b * (xv @ xv))

    def solve_shifted(self, shift: np.ndarray, r: np.ndarray) -> np.ndarray:
        return _woodbury(self.x, self.a + shift, self.b, r)

    def solve_block(self, idx: np.ndarray, r: np.ndarray) -> np.ndarray:
        return _woodbury(self.x[:, idx], np.full(idx.size, self.a), self.b, r)


def _woodbury(x: np.ndarray, d: np.ndarray, b: float, r: np.ndarray) -> np.ndarray:
    """(diag(d) + b X'X)⁻¹ r, d > 0 (FactoredCovariance), through Y = X diag(d)^-1/2:
    r / d - b d^-1/2 Y' (I + b YY')⁻¹ Y d^-1/2 r (YY' a symmetric product)."""
    root = 1.0 / np.sqrt(d)
    y = x * root
    inner = y @ y.T
    inner *= b
    inner.flat[:: x.shape[0] + 1] += 1.0
    return r / d - b * root * (y.T @ np.linalg.solve(inner, y @ (root * r)))


def ledoit_wolf(returns: np.ndarray) -> np.ndarray:
    """(p, p) Ledoit-Wolf shrunk covariance of ``returns`` (n observations x p assets,
    n >= 1): (1 - d) S + d mu I, S the (biased, 1/n) sample covariance, mu its mean
    variance, d the Ledoit-Wolf (2004) optimal intensity, as scikit-learn's ``LedoitWolf``
    computes it."""
    x = np.asarray(returns, dtype=np.float64)
    n, p = x.shape
    x = x - x.mean(axis=0)
    if p == 1:
        return np.atleast_2d((x**2).mean())
    x2 = x**2
    trace = x2.sum(axis=0) / n
    mu = trace.sum() / p
    cross = x.T @ x
    delta_ = float(np.sum(cross**2)) / n**2
    beta_ = float(np.sum(x2.T @ x2))
    shrinkage = _intensity(n, p, trace, mu, delta_, beta_)
    shrunk = (1.0 - shrinkage) * (cross / n)
    shrunk.flat[:: p + 1] += shrinkage * mu
    return shrunk


def factored_ledoit_wolf(returns: np.ndarray) -> FactoredCovariance | None:
    """``ledoit_wolf(returns)`` as a ``FactoredCovariance`` (p >= 2), its sums taken over
    the n x n Gram matrix XX' instead of the p x p X'X (sum((X'X)^2) = sum((XX')^2),
    sum(X²'X²) = the sum of the squared row sums of X²); None when the shrinkage leaves it
    too close to singular for the factored form (``FACTORED_FLOOR``)."""
    x = np.asarray(returns, dtype=np.float64)
    n, p = x.shape
    x = x - x.mean(axis=0)
    x2 = x**2
    squares = x2.sum(axis=0)
    trace = squares / n
    mu = trace.sum() / p
    delta_ = float(np.sum((x @ x.T) ** 2)) / n**2
    beta_ = float(np.sum(x2.sum(axis=1) ** 2))
    shrinkage = _intensity(n, p, trace, mu, delta_, beta_)
    variances = (1.0 - shrinkage) * (squares / n) + shrinkage * mu
    a = float(shrinkage * mu)
    if not (shrinkage <= 1.0 and a >= FACTORED_FLOOR * float(variances.max())):
        return None
    return FactoredCovariance(x, a, float((1.0 - shrinkage) / n), variances)


def _intensity(n: int, p: int, trace: np.ndarray, mu: float, delta_: float, beta_: float) -> float:
    """Ledoit-Wolf's shrinkage intensity d from the window's sums: ``trace`` the (p,)
    variances, ``mu`` their mean, ``delta_`` = sum((X'X)^2) / n^2, ``beta_`` = sum(X²'X²)."""
    beta = (beta_ / n - delta_) / (p * n)
    delta = (delta_ - 2.0 * mu * trace.sum() + p * mu**2) / p
    beta = min(beta, delta)
    return 0.0 if beta == 0 else beta / delta
