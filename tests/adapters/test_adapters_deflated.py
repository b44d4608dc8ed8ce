"""adapters.deflated: the probabilistic and deflated Sharpe ratios against the DSR paper's
worked example and independent Monte Carlo estimates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.deflated import (
    deflated_sharpe_of_best,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    return_moments,
)
from tests.numpy_loops import printed_in_child


def test_the_dsr_papers_numerical_example():
    """Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", section "A numerical
    example": N = 100 trials, variance of the annualised trial Sharpes 1/2, the best
    annualised Sharpe 2.5 over T = 1,250 daily returns (250 a year), skewness −3, kurtosis
    10. The paper gives SR₀ ≈ 0.1132 per day and DSR ≈ 0.9004."""
    variance = 0.5 / 250
    assert expected_max_sharpe(100, variance) == pytest.approx(0.1132, abs=5e-5)
    dsr = deflated_sharpe_ratio(2.5 / math.sqrt(250), 1250, -3.0, 10.0, 100, variance)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


@pytest.mark.parametrize("n_trials", [10, 100, 1000])
def test_expected_max_sharpe_matches_a_monte_carlo_maximum_of_standard_normals(n_trials):
    """E[max of N standard normals] by simulation (seeded, 4,000 draws of N): the
    extreme-value approximation is within 2 % of it (it is an approximation, slightly high)."""
    rng = np.random.default_rng(27)
    simulated = rng.standard_normal((4000, n_trials)).max(axis=1).mean()
    assert expected_max_sharpe(n_trials, 1.0) == pytest.approx(simulated, rel=0.02)
    assert expected_max_sharpe(n_trials, 4.0) == pytest.approx(2 * simulated, rel=0.02)


def test_one_trial_expects_no_maximum_and_bad_inputs_name_the_argument():
    """N = 1: SR₀ = 0, so the DSR is the PSR against 0; N = 0 or a negative variance is refused."""
    assert expected_max_sharpe(1, 0.3) == 0.0
    assert deflated_sharpe_ratio(0.1, 500, 0.0, 3.0, 1, 0.3) == probabilistic_sharpe_ratio(0.1, 500)
    with pytest.raises(ValueError, match="n_trials"):
        expected_max_sharpe(0, 1.0)
    with pytest.raises(ValueError, match="variance"):
        expected_max_sharpe(5, -1.0)


def test_psr_is_calibrated_under_the_null_on_simulated_normal_returns():
    """Normal returns whose true per-bar Sharpe equals the benchmark (0.05): the PSR is
    uniform under the null, so about 5 % of 4,000 seeded series of 250 bars exceed 0.95 and
    about half exceed 0.5."""
    rng = np.random.default_rng(11)
    returns = 0.0005 + 0.01 * rng.standard_normal((4000, 250))
    psr = np.array([
        probabilistic_sharpe_ratio(m.sharpe, m.n, m.skewness, m.kurtosis, benchmark=0.05)
        for m in map(return_moments, returns)
    ])  # fmt: skip
    assert (psr > 0.95).mean() == pytest.approx(0.05, abs=0.015)
    assert (psr > 0.5).mean() == pytest.approx(0.5, abs=0.03)


def test_psr_is_a_half_at_the_benchmark_and_negative_skew_and_fat_tails_lower_it():
    """Observed Sharpe = benchmark gives 0.5; above it, negative skew or higher kurtosis widen
    the Sharpe's error and lower the PSR; more observations raise it."""
    assert probabilistic_sharpe_ratio(0.1, 100, benchmark=0.1) == pytest.approx(0.5)
    normal = probabilistic_sharpe_ratio(0.1, 250)
    assert probabilistic_sharpe_ratio(0.1, 250, skewness=-2.0) < normal
    assert probabilistic_sharpe_ratio(0.1, 250, kurtosis=12.0) < normal
    assert probabilistic_sharpe_ratio(0.1, 1000) > normal
    assert math.isnan(probabilistic_sharpe_ratio(0.1, 1))


def test_return_moments_match_their_definitions_and_a_flat_series_has_none():
    """Sharpe mean / std(ddof 1); a normal sample has skewness near 0 and kurtosis near 3; a
    constant series has no Sharpe."""
    rng = np.random.default_rng(3)
    r = rng.normal(0.001, 0.02, 200_000)
    moments = return_moments(r)
    assert moments.sharpe == pytest.approx(r.mean() / r.std(ddof=1), rel=1e-12)
    assert moments.skewness == pytest.approx(0.0, abs=0.02)
    assert moments.kurtosis == pytest.approx(3.0, abs=0.05)
    assert moments.n == r.size
    assert math.isnan(return_moments(np.full(10, 0.01)).sharpe)


def test_deflated_sharpe_of_best_uses_annual_trial_sharpes_and_skips_missing_ones():
    """The sweep form: annual trial Sharpes (one NaN not counted) divided by B, the best's
    returns' moments, the same DSR as the per-bar call."""
    rng = np.random.default_rng(8)
    best = rng.normal(0.001, 0.01, 500)
    trials = np.r_[rng.normal(0.0, 0.8, 49), np.nan]
    out = deflated_sharpe_of_best(best, trials, bars_per_year=252)
    m = return_moments(best)
    variance = trials[:49].var(ddof=1) / 252
    assert out["n_trials"] == 49
    assert out["dsr"] == pytest.approx(
        deflated_sharpe_ratio(m.sharpe, m.n, m.skewness, m.kurtosis, 49, variance)
    )
    assert out["expected_max_sharpe_annual"] == pytest.approx(
        expected_max_sharpe(49, trials[:49].var(ddof=1))
    )
    assert out["dsr"] < out["psr"]


def test_the_verdict_says_how_many_tried_have_no_sharpe_ratio() -> None:
    """385 trials with a Sharpe ratio out of 420 tried: the 35 others are named, not dropped
    silently; when every one counts, the sentence is the plain one."""
    from adapters.deflated import dsr_verdict

    assert dsr_verdict(0.9712, 385, 420) == (
        "deflated Sharpe 0.97 after 385 trials (likely skill); the other 35 of 420 have no "
        "Sharpe ratio (no trade or a flat equity curve) and are not counted"
    )
    assert dsr_verdict(0.9712, 420, 420) == "deflated Sharpe 0.97 after 420 trials (likely skill)"


def _numpy_moments(r: np.ndarray) -> tuple[float, float, float]:
    """The moments by their numpy definitions, one pass each, the powers as products: what
    ``return_moments``'s fewer passes must give bit for bit."""
    centred = r - r.mean()
    m2 = float(np.mean(centred * centred))
    return (
        float(r.mean() / r.std(ddof=1)),
        float(np.mean((centred * centred) * centred) / m2**1.5),
        float(np.mean((centred * centred) * (centred * centred)) / m2**2),
    )


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.floats(-0.5, 0.5).filter(lambda x: abs(x) >= 1e-9) | st.just(0.0),
        min_size=2,
        max_size=600,
    ),
    flat=st.floats(0.0, 0.95),
    seed=st.integers(0, 2**16),
)
def test_return_moments_are_the_numpy_definitions_bit_for_bit(values, flat, seed):
    """Series of any values with a share of exact zeros (a run's bars without a position)
    and either sign of mean: the moments equal the one-pass-each numpy definitions exactly,
    not approximately."""
    r = np.array(values)
    r[np.random.default_rng(seed).random(r.size) < flat] = 0.0
    if np.ptp(r) == 0.0:
        assert math.isnan(return_moments(r).sharpe)
        return
    for series in (r, -r):
        moments = return_moments(series)
        got = np.array([moments.sharpe, moments.skewness, moments.kurtosis])
        assert got.tobytes() == np.array(_numpy_moments(series)).tobytes()


MOMENTS_CHILD = """
import sys
import numpy as np
from adapters.deflated import return_moments
rng = np.random.default_rng(20261129)
for n in (2_500, 100_000, 1_000_000):
    r = rng.normal(0.0002, 0.01, n)
    r[rng.random(n) < 0.4] = 0.0
    m = return_moments(r)
    sys.stdout.write(np.array([m.sharpe, m.skewness, m.kurtosis]).tobytes().hex() + "\\n")
"""


def test_return_moments_are_the_same_bits_whatever_vector_loops_numpy_runs():
    """A result's moments do not depend on the machine: the same series in a process whose
    numpy runs only its baseline loops (every dispatched target this CPU has switched off
    with ``NPY_DISABLE_CPU_FEATURES``, as on a CPU without AVX2 or AVX-512) gives the same
    bits as in one that runs its fastest. (numpy's ``power``, which the moments once took,
    gives other cubes on an AVX-512 machine than without: this fails with it there.)"""
    fastest = printed_in_child(MOMENTS_CHILD)
    baseline = printed_in_child(MOMENTS_CHILD, baseline=True)
    assert len(fastest.split()) == 3
    assert baseline == fastest
