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

from engine.portfolio import target_weights
from engine.portfolio.risk import RISK_METHODS, ledoit_wolf, solve
from tests.peer_venv import MISSING, peer_python

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
    python = peer_python()
    assert python is not None, MISSING
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


def _market(seed: int = 3, n_bars: int = 120, n_tickers: int = 6):
    rng = np.random.default_rng(seed)
    vol = rng.uniform(0.005, 0.04, n_tickers)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, vol, (n_bars, n_tickers)), axis=0))
    return close, np.isfinite(close)


@pytest.mark.parametrize("method", RISK_METHODS)
def test_a_decisions_risk_weights_come_from_its_trailing_returns_only(method):
    """Row t = the solve of the Ledoit-Wolf covariance of the last `lookback` returns up to
    t's close; changing later prices changes nothing up to t."""
    close, eligible = _market()
    got = target_weights(eligible, method="equal", weighting=method, close=close, lookback=30)
    t = 80
    returns = close[t - 29 : t + 1] / close[t - 30 : t] - 1.0
    np.testing.assert_allclose(got[t], solve(method, ledoit_wolf(returns)), rtol=0, atol=1e-15)
    later = close.copy()
    later[t + 1 :] *= 1.5
    again = target_weights(eligible, method="equal", weighting=method, close=later, lookback=30)
    assert np.array_equal(again[: t + 1], got[: t + 1])


def test_risk_weights_are_equal_until_two_returns_exist_and_sum_to_one_after():
    close, eligible = _market()
    got = target_weights(
        eligible, method="equal", weighting="min_variance", close=close, lookback=20
    )
    assert got[0].tolist() == [1 / 6] * 6 and got[1].tolist() == [1 / 6] * 6
    np.testing.assert_allclose(got[2:].sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all(got >= 0)


def test_inverse_volatility_orders_tickers_by_their_trailing_variance():
    """Shrinkage moves every variance toward their mean but keeps their order."""
    close, eligible = _market()
    got = target_weights(
        eligible, method="equal", weighting="inverse_volatility", close=close, lookback=60
    )
    variance = np.var(close[41:101] / close[40:100] - 1.0, axis=0)
    assert np.argsort(got[100]).tolist() == np.argsort(-variance).tolist()


def test_a_ranking_weights_by_risk_among_its_top_n_only():
    close, eligible = _market()
    scores = np.tile(np.arange(6.0), (close.shape[0], 1))  # ticker 5 best, then 4, 3
    got = target_weights(
        eligible,
        method="rank",
        scores=scores,
        top_n=3,
        weighting="equal_risk_contribution",
        close=close,
        lookback=30,
    )
    assert np.all(got[:, :3] == 0)
    np.testing.assert_allclose(got[50:, 3:].sum(axis=1), 1.0, atol=1e-12)


def test_a_ticker_listed_late_shortens_the_window_to_its_bars():
    """Its returns before listing do not exist; the window starts after its first bar."""
    close, eligible = _market()
    close[:70, 2] = np.nan
    eligible = np.isfinite(close)
    got = target_weights(
        eligible, method="equal", weighting="equal_risk_contribution", close=close, lookback=30
    )
    assert got[70].tolist() == [1 / 6] * 6  # listed at 70: no return of it yet
    assert got[72].tolist() == [1 / 6] * 6  # two returns: a singular covariance
    returns = close[71:76] / close[70:75] - 1.0
    expected = solve("equal_risk_contribution", ledoit_wolf(returns))
    np.testing.assert_allclose(got[75], expected, atol=1e-15)


def test_risk_weightings_refuse_fixed_weights_and_missing_prices():
    close, eligible = _market()
    with pytest.raises(ValueError, match="weighting"):
        target_weights(
            eligible, method="fixed", fixed=np.full(6, 0.1), weighting="min_variance", close=close
        )
    with pytest.raises(ValueError, match="close"):
        target_weights(eligible, method="equal", weighting="min_variance")
    with pytest.raises(ValueError, match="lookback"):
        target_weights(eligible, method="equal", weighting="min_variance", close=close, lookback=1)
