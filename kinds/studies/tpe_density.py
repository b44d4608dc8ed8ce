"""The log-density of Optuna's Parzen estimators, the same numbers sooner: what batch TPE
(``kinds.studies.batch_tpe``) scores its candidates with.

TPE scores each candidate by the log-density of the good trials' estimator less that of
the others'; the others' estimator has one component per trial, so at 10,000 trials the
score of a 1,000-candidate batch is a (candidates × 9,000 components) matrix per parameter.
Optuna (the pinned 5.0.0: ``_MixtureOfProductDistribution.log_pdf`` and ``_truncnorm``)
spends that time in two places this module does the same arithmetic faster:

* the gather of a stepped parameter's table of log-masses (distinct grid values × distinct
  kernels) into the matrix, an ``np.ix_`` index: here two ``np.take`` (``mixture_log_pdf``),
  and each distinct candidate scored once (``log_pdf``; a row's score depends on that row
  alone);
* the log of the normal CDF, a Python function per table cell (``_log_ndtr_single``): here
  ``log_ndtr``, which calls the same ``math`` functions per cell in one comprehension and
  runs the far tail's asymptotic series as array operations — the same IEEE operations in
  the same order, so the same bits (tests/studies/test_study_tpe_columns.py compares both
  on every branch and its edges).

Every other step is Optuna's own code, in its order: the scores, and so the points a batch
draws, are exactly those of ``_ParzenEstimator.log_pdf``.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.probability_distributions import (
    _BatchedCategoricalDistributions,
    _MixtureOfProductDistribution,
    _unique_inverse_2d,
)

_ROOT2 = 2**0.5
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
TAIL = -20.0
"""At or below this the log of the normal CDF is Optuna's asymptotic series."""


def _each(function: Any, x: np.ndarray) -> np.ndarray:
    """``function`` (a ``math`` function) of each element, as float64."""
    return np.array([function(v) for v in x.tolist()], dtype=float)


def ndtr(a: np.ndarray) -> np.ndarray:
    """Optuna's ``_truncnorm._ndtr_single`` of each element (the normal CDF by ``math.erf``
    and ``math.erfc``), bit for bit."""
    x = a / _ROOT2
    out = np.empty_like(x)
    low = x < -1 / _ROOT2
    high = x >= 1 / _ROOT2
    mid = ~(low | high)
    out[low] = 0.5 * _each(math.erfc, -x[low])
    out[mid] = 0.5 + 0.5 * _each(math.erf, x[mid])
    out[high] = 1.0 - 0.5 * _each(math.erfc, x[high])
    return out


def _tail(a: np.ndarray) -> np.ndarray:
    """Optuna's asymptotic series for the log of the normal CDF at ``a <= TAIL``: each term
    for every element still changing by more than the machine epsilon, as its loop does."""
    values = a.tolist()
    lhs = [-0.5 * v**2 - math.log(-v) - _HALF_LOG_2PI for v in values]
    cons = np.array([1 / v**2 for v in values], dtype=float)
    last, total, factor = np.zeros(len(a)), np.ones(len(a)), np.ones(len(a))
    numerator, sign, i = 1.0, 1, 0
    going = np.flatnonzero(np.abs(last - total) > sys.float_info.epsilon)
    while going.size:
        i += 1
        sign = -sign
        numerator *= 2 * i - 1
        last[going] = total[going]
        factor[going] = factor[going] * cons[going]
        total[going] = total[going] + (sign * numerator) * factor[going]
        going = going[np.abs(last[going] - total[going]) > sys.float_info.epsilon]
    return np.array(
        [left + math.log(right) for left, right in zip(lhs, total.tolist(), strict=True)],
        dtype=float,
    )


def log_ndtr(a: np.ndarray) -> np.ndarray:
    """Optuna's ``_truncnorm._log_ndtr`` (the log of the normal CDF), bit for bit."""
    flat = a.ravel()
    out = np.empty(flat.shape)
    right = flat > 6
    tail = flat <= TAIL
    body = ~(right | tail)
    out[right] = -ndtr(-flat[right])
    out[body] = _each(math.log, ndtr(flat[body]))
    out[tail] = _tail(flat[tail])
    return out.reshape(a.shape)


def log_pdf(mpe: Any, samples: dict[str, np.ndarray]) -> np.ndarray:
    """``mpe.log_pdf(samples)``, bit for bit: each distinct candidate evaluated once (the
    result of a row depends on that row alone) by ``mixture_log_pdf``."""
    x = mpe._transform(samples)
    mixture = mpe._mixture_distribution
    if any(isinstance(d, _BatchedCategoricalDistributions) for d in mixture.distributions):
        return mixture.log_pdf(x)  # no categorical parameter in a study's space
    distinct, back = np.unique(x, axis=0, return_inverse=True)
    return mixture_log_pdf(mixture, distinct)[back.ravel()]


CHUNK_CELLS = 1 << 17
"""Cells of the (candidates × components) matrix scored at once: a block of rows small
enough to stay in the processor's cache through every pass over it."""


def mixture_log_pdf(mixture: _MixtureOfProductDistribution, x: np.ndarray) -> np.ndarray:
    """Optuna's ``_MixtureOfProductDistribution.log_pdf`` for numerical parameters, the same
    operations on each cell in the same order, a block of candidates at a time (each row's
    score is its own): a stepped parameter's table of log-masses (distinct values ×
    distinct kernels) gathered into the block by ``np.take`` instead of an ``np.ix_``
    index over the whole matrix."""
    stepped: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    cont, x_cont, lows, highs = [], [], [], []
    for i, d in enumerate(mixture.distributions):
        is_log = d.is_log
        if (step := d.step) == 0.0:
            cont.append(d)
            x_cont.append(np.log(x[:, i]) if is_log else x[:, i])
            lows.append(d.adapted_low)
            highs.append(d.adapted_high)
            continue
        xi_uniq, xi_inv = np.unique(x[:, i], return_inverse=True)
        mu_uniq, sigma_uniq, mu_sigma_inv = _unique_inverse_2d(d.mu, d.sigma)
        left = np.log(xi_uniq - step / 2) if is_log else (xi_uniq - step / 2)
        right = np.log(xi_uniq + step / 2) if is_log else (xi_uniq + step / 2)
        table = _log_gauss_mass_unique(
            (left[:, np.newaxis] - mu_uniq) / sigma_uniq,
            (right[:, np.newaxis] - mu_uniq) / sigma_uniq,
        )
        norm = _log_gauss_mass(
            (d.adapted_low - mu_uniq) / sigma_uniq, (d.adapted_high - mu_uniq) / sigma_uniq
        )[mu_sigma_inv]
        stepped.append((np.take(table, xi_inv.ravel(), axis=0), mu_sigma_inv, norm))
    continuous = None
    if x_cont:
        mus = np.asarray([d.mu for d in cont]).T
        sigmas = np.asarray([d.sigma for d in cont]).T
        a, b = (np.asarray(lows) - mus) / sigmas, (np.asarray(highs) - mus) / sigmas
        continuous = (np.asarray(x_cont).T[:, np.newaxis, :], a, b, mus, sigmas,
                      _log_gauss_mass(a, b), np.log(sigmas))  # fmt: skip
    log_weights = np.log(mixture.weights[np.newaxis])
    components = len(mixture.weights)
    rows = max(1, CHUNK_CELLS // components)
    weighted = np.empty((min(rows, len(x)), components), dtype=np.float64)
    scratch = np.empty_like(weighted)
    out = np.empty(len(x), dtype=np.float64)
    for first in range(0, len(x), rows):
        block = slice(first, min(first + rows, len(x)))
        size = block.stop - block.start
        w, tmp = weighted[:size], scratch[:size]
        for k, (table_rows, columns, norm) in enumerate(stepped):
            # Optuna adds the first table to zeros: 0.0 + t is t (but for t = -0.0, whose
            # sign no later sum, maximum or exponential keeps), so it is taken straight in.
            np.take(table_rows[block], columns, axis=1, out=tmp if k else w)
            if k:
                w += tmp
            w -= norm
        if not stepped:
            w[...] = 0.0
        if continuous is not None:
            w += _truncnorm_logpdf(continuous, block).sum(axis=-1)
        w += log_weights
        top = w.max(axis=1)
        top[np.isneginf(top)] = 0
        np.subtract(w, top[:, None], out=tmp)
        with np.errstate(divide="ignore"):
            out[block] = np.log(np.exp(tmp, out=tmp).sum(axis=1)) + top
    return out


def _truncnorm_logpdf(continuous: tuple, block: slice) -> np.ndarray:
    """Optuna's ``_truncnorm.logpdf`` of a block of candidates' continuous parameters
    under every kernel, with its terms that depend on the kernels alone computed once."""
    x, a, b, loc, scale, mass, log_scale = continuous
    z = (x[block] - loc) / scale
    out = _truncnorm._norm_logpdf(z) - mass - log_scale
    z, a, b = np.broadcast_arrays(z, a, b)
    return np.select([a == b, (z < a) | (z > b)], [np.nan, -np.inf], default=out)


def _log_gauss_mass_unique(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Optuna's ``_log_gauss_mass_unique``: ``_log_gauss_mass`` once per distinct (a, b)."""
    a_uniq, b_uniq, inv = _unique_inverse_2d(a.ravel(), b.ravel())
    return _log_gauss_mass(a_uniq, b_uniq)[inv].reshape(a.shape)


def _log_gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Optuna's ``_truncnorm._log_gauss_mass`` (the log of a Gaussian's mass on [a, b]), the
    same operations on the same arrays, with ``log_ndtr``."""
    case_left = b <= 0
    case_right = a > 0
    case_central = ~(case_left | case_right)

    def mass_case_left(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _truncnorm._log_diff(log_ndtr(b), log_ndtr(a))

    out = np.full_like(a, fill_value=np.nan, dtype=np.complex128)
    if (a_left := a[case_left]).size:
        out[case_left] = mass_case_left(a_left, b[case_left])
    if (a_right := a[case_right]).size:
        out[case_right] = mass_case_left(-b[case_right], -a_right)
    if (a_central := a[case_central]).size:
        b_central = b[case_central]
        out[case_central] = np.log1p(-_truncnorm._ndtr(a_central) - _truncnorm._ndtr(-b_central))
    return np.real(out)
