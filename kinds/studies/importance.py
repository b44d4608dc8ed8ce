"""A study's parameter importances from the complete trials' columns: Optuna's PED-ANOVA
evaluator (``optuna.importance.PedAnovaImportanceEvaluator`` with its defaults, normalised
as ``get_param_importances`` does) computed on arrays, without building an Optuna study.

A batch stores the importances over every complete trial (``kinds.studies.kind``, the study
locked). Rebuilding the study as Optuna trials for that
(``kinds.studies.sampling.reference_importances``) costs about 0.1 ms of CPU a trial, so a
batch of a 20,000-trial study spent about 2 s in it under the lock; here it is the trials'
params and values as columns and about 20 ms of numpy, and the numbers are Optuna's, bit for
bit (``tests/studies``): the same top quantile (the best 10 % by the objective; with two
objectives Optuna's non-domination rank with its hypervolume tie-break), the same grid
counts per parameter and the same Parzen estimators (Optuna's ``ScottParzenEstimator``), the
same sums in the same order.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np

TARGET_QUANTILE = 0.1
"""The share of the best trials whose parameters are compared with all (Optuna's default
``target_quantile``; ``region_quantile`` is 1: the whole study)."""

N_STEPS = 50
PRIOR_WEIGHT = 1.0
MIN_TRIALS_IN_REGIME = 2
"""Optuna's evaluator's fixed settings: a numeric domain is counted on at most 50 grid
points; the estimators' prior weight; fewer trials holding a parameter than this and it
scores 0."""


class _Ranked(NamedTuple):
    """A trial as Optuna's multi-objective split reads it: its values (and where it was)."""

    index: int
    values: list[float]


def _top(values: np.ndarray, directions: list[str]) -> np.ndarray:
    """Which rows are in the top ``TARGET_QUANTILE`` (``values``: (n, objectives), finite)."""
    from optuna.samplers._tpe.sampler import _split_complete_trials_multi_objective
    from optuna.study import StudyDirection

    n = values.shape[0]
    keep = np.zeros(n, dtype=bool)
    if len(directions) > 1:
        study = SimpleNamespace(
            directions=[
                StudyDirection.MAXIMIZE if d == "maximize" else StudyDirection.MINIMIZE
                for d in directions
            ]
        )
        rows = [_Ranked(i, row) for i, row in enumerate(values.tolist())]
        below, _ = _split_complete_trials_multi_objective(
            rows, study, math.ceil(TARGET_QUANTILE * n)
        )
        keep[[row.index for row in below]] = True
        return keep
    sign = 1.0 if directions[0] == "minimize" else -1.0
    loss = sign * values[:, 0]
    cutoff_index = math.ceil(TARGET_QUANTILE * n) - 1
    cutoff = float(np.partition(loss, cutoff_index)[cutoff_index])
    return loss <= cutoff


def _grid_counts(column: np.ndarray, dist: Any) -> np.ndarray:
    """How many values of ``column`` fall on each grid point of ``dist``'s domain (Optuna's
    ``_count_numerical_param_in_grid``)."""
    from optuna.distributions import IntDistribution

    n_steps = N_STEPS
    if isinstance(dist, IntDistribution) and dist.log:
        log2_domain_size = int(np.ceil(np.log(dist.high - dist.low + 1) / np.log(2))) + 1
        n_steps = min(log2_domain_size, n_steps)
    elif dist.step is not None:
        n_steps = min(round((dist.high - dist.low) / dist.step) + 1, n_steps)
    low, high = (math.log(dist.low), math.log(dist.high)) if dist.log else (dist.low, dist.high)
    values = np.log(column) if dist.log else column
    step_size = (high - low) / (n_steps - 1)
    indices = np.ceil((values - low) / step_size - 0.5).astype(int)
    indices = np.clip(indices, 0, n_steps - 1)
    return np.bincount(indices, minlength=n_steps)


def _pdf_on_grid(column: np.ndarray, dist: Any) -> np.ndarray:
    """The Scott-rule Parzen estimator of ``column`` on ``dist``'s grid, evaluated there."""
    from optuna.distributions import IntDistribution
    from optuna.importance._ped_anova.scott_parzen_estimator import ScottParzenEstimator

    counts = _grid_counts(column, dist)
    observations = np.flatnonzero(counts)
    estimator = ScottParzenEstimator(
        observations=observations,
        search_space=IntDistribution(low=0, high=counts.size - 1),
        predetermined_weights=counts[observations],
        prior_weight=PRIOR_WEIGHT,
    )
    return estimator.pdf(np.arange(counts.size)) + 1e-12


def _divergence(top: np.ndarray, region: np.ndarray, dist: Any) -> float:
    """The Pearson divergence of the top trials' estimator from the region's."""
    pdf_top = _pdf_on_grid(top, dist)
    pdf_local = _pdf_on_grid(region, dist)
    return float(pdf_local @ ((pdf_top / pdf_local - 1) ** 2))


def columns_of(names: list[str], params: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Each name's column of ``params`` (one dict per trial) as float64, NaN where a trial
    does not hold it."""
    return {name: np.array([p.get(name) for p in params], dtype=np.float64) for name in names}


def importances_of(
    dists: dict[str, Any],
    directions: list[str],
    columns: dict[str, np.ndarray],
    values: list[list[float]],
) -> dict[str, float]:
    """The normalised PED-ANOVA importance of each parameter of ``dists`` (name → Optuna
    distribution) that some trial holds, largest first, from the complete trials' params
    (``columns``: ``columns_of``) and ``values`` (one row per trial, in the same order)."""
    names = [name for name in dists if not np.isnan(columns[name]).all()]
    objectives = np.array(values, dtype=np.float64).reshape(len(values), len(directions))
    finite = np.isfinite(objectives).all(axis=1)
    if int(finite.sum()) <= 1:
        found = dict.fromkeys(names, 0.0)
    else:
        kept = {name: columns[name][finite] for name in names}
        found = _unnormalised(dists, directions, kept, objectives[finite])
    ranked = dict(reversed(sorted(found.items(), key=lambda item: item[1])))
    total = sum(ranked.values())
    if total == 0.0:
        return {name: 1.0 / len(ranked) for name in ranked}
    return {name: value / total for name, value in ranked.items()}


def _unnormalised(
    dists: dict[str, Any], directions: list[str], columns: dict[str, np.ndarray], values: np.ndarray
) -> dict[str, float]:
    """The evaluator's scores before normalising (``values``: finite, (n, objectives))."""
    top = _top(values, directions)
    n_top, n_region = int(top.sum()), values.shape[0]
    quantile = n_top / n_region
    found = dict.fromkeys(columns, 0.0)
    for name, column in columns.items():
        dist = dists[name]
        held = ~np.isnan(column)
        n_held = int(held.sum())
        if n_held < MIN_TRIALS_IN_REGIME:
            continue
        top_held = top[held]
        n_top_held = int(top_held.sum())
        if dist.single() or not n_top_held:
            continue
        alpha, beta = n_top_held / n_top, n_held / n_region
        region = column[held]
        found[name] += alpha**2 / beta * _divergence(region[top_held], region, dist)
    return {name: value * quantile**2 for name, value in found.items()}
