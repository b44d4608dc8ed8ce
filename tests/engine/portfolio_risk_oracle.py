"""The risk-weights oracles, as a script: skfolio's optimisers, scikit-learn's ``LedoitWolf``
and a second, independent solve (coordinate descent; SciPy's SLSQP).

Run by tests/engine/test_portfolio_risk.py with the interpreter of ``.venv-bench``
(requirements-bench.txt: skfolio, its cvxpy/Clarabel and SciPy are not in the platform's
venv)::

    python portfolio_risk_oracle.py IN.npz OUT.npz
    python portfolio_risk_oracle.py --time IN.npz   (skfolio's risk-parity solve time)

IN holds ``returns_<k>`` (n x p) windows; OUT gets, per window:

* ``cov_<k>``: scikit-learn's ``LedoitWolf().covariance_``;
* ``skfolio_<method>_<k>``: skfolio's ``InverseVolatility``, ``RiskBudgeting`` (variance,
  equal budgets) and ``MeanRisk`` (minimum variance), long-only, fully invested, on a
  Ledoit-Wolf prior; an interior-point conic solve, so good to about 1e-6;
* ``second_<method>_<k>``, a second, independent solve on scikit-learn's covariance:
  ``equal_risk_contribution`` by cyclical coordinate descent (numpy, to 1e-15) and
  ``min_variance`` by SciPy's SLSQP (w'Σw, sum 1, w >= 0, exact gradient, ftol 1e-16).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from skfolio import RiskMeasure
from skfolio.moments import LedoitWolf as SkfolioLedoitWolf
from skfolio.optimization import InverseVolatility, MeanRisk, ObjectiveFunction, RiskBudgeting
from skfolio.prior import EmpiricalPrior
from sklearn.covariance import LedoitWolf

SOLVER_PARAMS = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
"""Clarabel's tolerances tightened from their 1e-8 defaults (which leave weights ~1e-5 from
the optimum; tighter than 1e-10 it reports inaccurate solutions)."""
PERCENT = 100.0
"""skfolio is fed returns in percent: daily variances of ~1e-4 are small against the
solver's absolute tolerances, and the weights do not depend on the scale."""


def _prior() -> EmpiricalPrior:
    return EmpiricalPrior(covariance_estimator=SkfolioLedoitWolf())


def _skfolio(returns: np.ndarray) -> dict[str, np.ndarray]:
    models = {
        "inverse_volatility": InverseVolatility(prior_estimator=_prior()),
        "equal_risk_contribution": _skfolio_risk_parity(),
        "min_variance": MeanRisk(
            objective_function=ObjectiveFunction.MINIMIZE_RISK,
            risk_measure=RiskMeasure.VARIANCE,
            prior_estimator=_prior(),
            solver_params=SOLVER_PARAMS,
        ),
    }
    return {
        name: np.asarray(model.fit(returns * PERCENT).weights_, dtype=np.float64)
        for name, model in models.items()
    }


def _ccd_erc(cov: np.ndarray) -> np.ndarray:
    """Cyclical coordinate descent (Griveau-Billion, Richard and Roncalli, 2013): each y_i in
    turn set to the positive root of Σ_ii y_i² + (Σ_j≠i Σ_ij y_j) y_i - 1/p = 0."""
    p = cov.shape[0]
    y = np.full(p, 1.0 / np.sqrt(cov.sum()))
    for _ in range(100_000):
        previous = y.copy()
        for i in range(p):
            others = float(cov[i] @ y) - cov[i, i] * y[i]
            y[i] = (-others + np.sqrt(others**2 + 4.0 * cov[i, i] / p)) / (2.0 * cov[i, i])
        if np.abs(y - previous).max() <= 1e-15 * np.abs(y).max():
            break
    return y / y.sum()


def _scipy_min_variance(cov: np.ndarray) -> np.ndarray:
    p = cov.shape[0]
    scale = 1.0 / np.trace(cov) * p
    answer = minimize(
        lambda w: float(w @ cov @ w) * scale,
        np.full(p, 1.0 / p),
        jac=lambda w: 2.0 * (cov @ w) * scale,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * p,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(p)}],
        options={"ftol": 1e-16, "maxiter": 1000},
    )
    return answer.x


def main(source: str, target: str) -> None:
    out: dict[str, np.ndarray] = {}
    with np.load(source) as data:
        windows = {key[len("returns_") :]: data[key] for key in data.files}
    for k, returns in windows.items():
        cov = LedoitWolf().fit(returns).covariance_
        out[f"cov_{k}"] = cov
        for name, weights in _skfolio(returns).items():
            out[f"skfolio_{name}_{k}"] = weights
        out[f"second_equal_risk_contribution_{k}"] = _ccd_erc(cov)
        out[f"second_min_variance_{k}"] = _scipy_min_variance(cov)
    np.savez(target, **out)


def time_risk_parity(source: str) -> None:
    """skfolio's risk-parity solve time over every window of IN (after one warm-up fit),
    printed as one JSON line: the library's share of bench.portfolio_bench's erc case."""
    with np.load(source) as data:
        windows = [data[key] for key in data.files]
    model = _skfolio_risk_parity()
    model.fit(windows[0] * PERCENT)
    started = time.perf_counter()
    for returns in windows:
        _skfolio_risk_parity().fit(returns * PERCENT)
    print(json.dumps({"seconds": time.perf_counter() - started, "windows": len(windows)}))


def _skfolio_risk_parity() -> RiskBudgeting:
    return RiskBudgeting(
        risk_measure=RiskMeasure.VARIANCE, prior_estimator=_prior(), solver_params=SOLVER_PARAMS
    )


if __name__ == "__main__":
    if sys.argv[1] == "--time":
        time_risk_parity(sys.argv[2])
    else:
        main(sys.argv[1], sys.argv[2])
