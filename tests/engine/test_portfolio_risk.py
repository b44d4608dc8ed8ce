"""Risk-based weights (engine/portfolio/risk.py) against skfolio 1.12.2, scikit-learn's
``LedoitWolf`` and a second, independent solve (run from ``.venv-bench`` as a subprocess,
tests/engine/portfolio_risk_oracle.py): 100 random return windows of 2-40 tickers over 10-150
bars (some shorter than their ticker count, where only the shrinkage keeps the covariance
invertible).

skfolio's equal-risk-contribution and minimum-variance weights come from an interior-point
conic solve (Clarabel) good to about 1e-6: ours must be within 1e-5 of them and no worse on
the objective (variance; spread of the risk contributions), and within 1e-6 of the second
solve (coordinate descent; SLSQP), which converges further.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from bench.peers import vectorbt_python
from engine.portfolio.risk import RISK_METHODS, ledoit_wolf, solve

N_WINDOWS = 100
TOLERANCE = 1e-6
ORACLE = Path(__file__).with_name("portfolio_risk_oracle.py")
SKFOLIO_TOLERANCE = 1e-5


def _windows() -> list[np.ndarray]:
    """Returns from a two-factor model plus noise of different sizes per ticker."""
    rng = np.random.default_rng(2026)
    out = []
    for _ in range(N_WINDOWS):
        p, n = int(rng.integers(2, 41)), int(rng.integers(10, 151))
        factors = rng.normal(0.0, 0.01, (n, 2))
        noise = rng.normal(0.0, rng.uniform(0.005, 0.03, p), (n, p))
        out.append(factors @ rng.normal(0.0, 1.0, (2, p)) + noise)
    return out


@pytest.fixture(scope="module")
def oracle() -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """The windows and skfolio's / scikit-learn's answers for them (one child process)."""
    python = vectorbt_python()
    assert python is not None, "install .venv-bench: pip install -r requirements-bench.txt"
    windows = _windows()
    with tempfile.TemporaryDirectory(prefix="portfolio-risk-") as folder:
        source, target = Path(folder, "in.npz"), Path(folder, "out.npz")
        np.savez(source, **{f"returns_{k}": x for k, x in enumerate(windows)})
        subprocess.run([python, "-W", "ignore", str(ORACLE), str(source), str(target)], check=True)
        with np.load(target) as data:
            answers = {key: data[key] for key in data.files}
    return windows, answers


def test_ledoit_wolf_equals_scikit_learns_on_every_window(oracle):
    windows, answers = oracle
    for k, returns in enumerate(windows):
        expected = answers[f"cov_{k}"]
        got = ledoit_wolf(returns)
        assert np.abs(got - expected).max() <= 1e-12 * np.abs(expected).max(), k


def _spread(cov: np.ndarray, w: np.ndarray) -> float:
    return float(np.ptp(w * (cov @ w) / (w @ cov @ w)))


def test_inverse_volatility_equals_skfolios_on_every_window(oracle):
    windows, answers = oracle
    for k, returns in enumerate(windows):
        got = solve("inverse_volatility", ledoit_wolf(returns))
        assert np.abs(got - answers[f"skfolio_inverse_volatility_{k}"]).max() <= 1e-12, k


@pytest.mark.parametrize("method", ["equal_risk_contribution", "min_variance"])
def test_risk_weights_equal_a_second_solve_to_1e_6_on_100_windows(oracle, method):
    windows, answers = oracle
    for k, returns in enumerate(windows):
        got = solve(method, ledoit_wolf(returns))
        assert got.sum() == pytest.approx(1.0, abs=1e-12)
        assert got.min() >= 0.0
        assert np.abs(got - answers[f"second_{method}_{k}"]).max() <= TOLERANCE, (method, k)


@pytest.mark.parametrize("method", ["equal_risk_contribution", "min_variance"])
def test_risk_weights_match_skfolio_and_are_no_worse_on_its_objective(oracle, method):
    windows, answers = oracle
    objective = _spread if method == "equal_risk_contribution" else (lambda c, w: w @ c @ w)
    for k, returns in enumerate(windows):
        cov = ledoit_wolf(returns)
        got, theirs = solve(method, cov), answers[f"skfolio_{method}_{k}"]
        assert np.abs(got - theirs).max() <= SKFOLIO_TOLERANCE, (method, k)
        assert objective(cov, got) <= objective(cov, theirs) * (1 + 1e-12) + 1e-15, (method, k)


def test_equal_risk_contribution_equalises_each_tickers_share_of_variance():
    cov = ledoit_wolf(_windows()[3])
    w = solve("equal_risk_contribution", cov)
    assert _spread(cov, w) <= 1e-10


def test_min_variance_is_no_riskier_than_any_other_long_only_portfolio():
    """Against equal, inverse-volatility, risk-parity and 1,000 random long-only mixes."""
    rng = np.random.default_rng(7)
    cov = ledoit_wolf(_windows()[5])
    best = solve("min_variance", cov)
    others = [solve(m, cov) for m in RISK_METHODS] + list(rng.dirichlet(np.ones(len(cov)), 1000))
    assert all(best @ cov @ best <= w @ cov @ w * (1 + 1e-12) for w in others)
