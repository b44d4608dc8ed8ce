"""Probabilistic and deflated Sharpe ratios: how likely a Sharpe ratio is to beat a benchmark,
and to beat the best of N trials drawn by luck alone.

Pure functions over a return series (the engine's ``bar_returns``) or its moments; no I/O.
A run's PSR (``adapters.run_robustness``), a sweep's DSR of its best
(``kinds.sweeps.overfitting``) and a walk-forward's out-of-sample DSR
(``kinds.walkforward.outcome``) call them; docs/execution.md, "Overfitting statistics",
defines them.

Sharpe ratios here are **per bar** (mean / sample std, ddof 1, risk-free rate 0: the engine's
``sharpe_ratio`` before the × √B annualisation) unless a name says ``annual``; an annualised
Sharpe S of B bars a year is S / √B per bar, and a variance of annualised Sharpe ratios V is
V / B per bar.

* **PSR** (Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier", Journal of Risk
  15(2), 2012, eq. for PSR): with the per-bar Sharpe ŜR of n returns, their skewness γ₃ and
  (non-excess) kurtosis γ₄ (population moments, as the paper),

      PSR(SR*) = Φ( (ŜR − SR*) · √(n − 1) / √(1 − γ₃·ŜR + (γ₄ − 1)/4 · ŜR²) )

  the probability that the true Sharpe exceeds the benchmark SR*. NaN when the root's
  argument is not positive or n < 2.
* **Expected maximum Sharpe of N trials** (Bailey & López de Prado, "The Deflated Sharpe
  Ratio", Journal of Portfolio Management 40(5), 2014, eq. 2; the extreme-value
  approximation of Bailey, Borwein, López de Prado & Zhu 2014), with V the variance of the
  trials' Sharpe ratios and γ ≈ 0.5772 the Euler–Mascheroni constant:

      SR₀ = √V · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)))

  SR₀ = 0 for N = 1 (the formula needs N ≥ 2; one trial is not selected).
* **DSR** (same paper, eq. 3): PSR(SR₀) of the selected trial's returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from engine import TRADING_DAYS

EULER_GAMMA = 0.5772156649015329
"""The Euler–Mascheroni constant γ of the expected-maximum approximation."""

LIKELY_SKILL = 0.95
"""A DSR at least this: the best of the trials is called "likely skill" (its true Sharpe
beats the best of that many trials of luck with 95 % confidence); below, "not
distinguishable from luck"."""

_NORMAL = NormalDist()


@dataclass(frozen=True)
class ReturnMoments:
    """What PSR needs of a return series: the per-bar Sharpe (ddof 1), the skewness and the
    non-excess kurtosis (population moments; 3 for a normal distribution) and the count."""

    sharpe: float
    skewness: float
    kurtosis: float
    n: int


def return_moments(returns: np.ndarray) -> ReturnMoments:
    """The ``ReturnMoments`` of one return series (NaN moments where the std is 0 or n < 2).

    Sharpe: numpy's ``mean / std(ddof=1)`` bit for bit; skewness and kurtosis: the means of
    the centred returns' third and fourth powers taken as products, ``(c*c)*c`` and
    ``(c*c)*(c*c)``, over the population variance's 1.5th and 2nd powers. Products are
    IEEE-rounded the same way by every numpy loop, so a result's moments are the same bits on
    every machine; numpy's ``power`` is not (its AVX-512 loop and libm's ``pow``, which it
    runs without AVX-512, differ in the last bit of about 2 % of third powers, which moves a
    100,000-return mean), and costs 30-60 ns a negative value against ~1 ns a product. The
    sum of squares is summed once for the variance and the std, and the squares' buffer
    takes the third powers, then the fourth."""
    r = np.asarray(returns, dtype=np.float64).ravel()
    n = r.size
    if n < 2 or np.ptp(r) == 0.0:  # a constant series: its std is 0 (or rounding noise)
        return ReturnMoments(math.nan, math.nan, math.nan, n)
    mean = r.mean()
    centred = r - mean
    squares = centred * centred
    squared = np.add.reduce(squares)  # what std(ddof=1) and mean(centred**2) sum
    m2 = float(squared / n)
    sharpe = float(mean / np.sqrt(squared / (n - 1)))
    powers = np.multiply(squares, centred)
    skewness = float(np.mean(powers) / m2**1.5)
    np.multiply(squares, squares, out=powers)
    kurtosis = float(np.mean(powers) / m2**2)
    return ReturnMoments(sharpe, skewness, kurtosis, n)


def probabilistic_sharpe_ratio(
    sharpe: float,
    n: int,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    benchmark: float = 0.0,
) -> float:
    """PSR: the probability that the true per-bar Sharpe exceeds ``benchmark`` (per bar),
    given the observed per-bar ``sharpe`` of ``n`` returns with ``skewness`` and non-excess
    ``kurtosis``; NaN where undefined (see the module docstring)."""
    if n < 2 or not all(map(math.isfinite, (sharpe, skewness, kurtosis, benchmark))):
        return math.nan
    spread = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if spread <= 0.0:
        return math.nan
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(n - 1) / math.sqrt(spread))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """SR₀, the expected maximum Sharpe of ``n_trials`` independent trials whose Sharpe
    ratios have true mean 0 and ``variance`` (in the units of the Sharpe ratios given).

    :raise ValueError: ``n_trials`` below 1 or ``variance`` negative.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if not variance >= 0.0:
        raise ValueError(f"variance must be a non-negative number, got {variance}")
    if n_trials == 1:
        return 0.0
    z = (1.0 - EULER_GAMMA) * _NORMAL.inv_cdf(1.0 - 1.0 / n_trials) + EULER_GAMMA * (
        _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    )
    return math.sqrt(variance) * z


def deflated_sharpe_ratio(
    sharpe: float,
    n: int,
    skewness: float,
    kurtosis: float,
    n_trials: int,
    trials_variance: float,
) -> float:
    """DSR: PSR of the selected per-bar ``sharpe`` against ``expected_max_sharpe(n_trials,
    trials_variance)``, the variance of the trials' per-bar Sharpe ratios."""
    benchmark = expected_max_sharpe(n_trials, trials_variance)
    return probabilistic_sharpe_ratio(sharpe, n, skewness, kurtosis, benchmark)


def deflated_sharpe_of_best(
    best_returns: np.ndarray,
    trial_sharpes_annual: np.ndarray,
    bars_per_year: float = TRADING_DAYS,
) -> dict[str, float | int]:
    """The DSR of a sweep's selected combination from what a sweep holds: the selected
    combination's bar returns and every combination's annualised Sharpe (the stored
    ``sharpe_ratio``; NaN ones are not counted as trials). The trials' variance is their
    sample variance (ddof 1) over B, ``bars_per_year``.

    Returns ``dsr``, ``psr`` (against 0), ``n_trials``, ``expected_max_sharpe_annual`` (SR₀ ×
    √B), ``trials_variance_annual``, ``skewness``, ``kurtosis`` and ``n_returns``.
    """
    trials = np.asarray(trial_sharpes_annual, dtype=np.float64).ravel()
    trials = trials[np.isfinite(trials)]
    n_trials = max(int(trials.size), 1)
    variance_annual = float(trials.var(ddof=1)) if trials.size >= 2 else 0.0
    moments = return_moments(best_returns)
    variance = variance_annual / bars_per_year
    psr = probabilistic_sharpe_ratio(moments.sharpe, moments.n, moments.skewness, moments.kurtosis)
    dsr = deflated_sharpe_ratio(
        moments.sharpe, moments.n, moments.skewness, moments.kurtosis, n_trials, variance
    )
    return {
        "dsr": dsr,
        "psr": psr,
        "n_trials": n_trials,
        "expected_max_sharpe_annual": expected_max_sharpe(n_trials, variance)
        * math.sqrt(bars_per_year),
        "trials_variance_annual": variance_annual,
        "skewness": moments.skewness,
        "kurtosis": moments.kurtosis,
        "n_returns": moments.n,
    }


def dsr_verdict(dsr: float, n_trials: int, tried: int | None = None) -> str:
    """The deflated Sharpe ratio in words, as a sweep's and a study's verdicts say it;
    ``tried`` (the combinations or trials evaluated) names those that have no Sharpe ratio
    and so are not among the ``n_trials`` the DSR counts.

    >>> dsr_verdict(0.9712, 1733)
    'deflated Sharpe 0.97 after 1,733 trials (likely skill)'
    >>> dsr_verdict(0.41, 10000)
    'deflated Sharpe 0.41 after 10,000 trials (not distinguishable from luck)'
    """
    judged = "likely skill" if dsr >= LIKELY_SKILL else "not distinguishable from luck"
    said = f"deflated Sharpe {dsr:.2f} after {n_trials:,} trials ({judged})"
    if tried is None or tried <= n_trials:
        return said
    return (
        f"{said}; the other {tried - n_trials:,} of {tried:,} have no Sharpe ratio (no trade "
        "or a flat equity curve) and are not counted"
    )
