"""TPE for a batch of trials: one model per batch, built from columns of the finished trials.

Optuna's ``TPESampler`` builds its two Parzen estimators (the best trials', the others') on
every ask, from every finished trial: asking 250 trials of a 2,000-trial study one by one
cost 30 to 120 ms each here (bench/study_bench.py), and a study's batches ask under its
lock. Without the constant liar, trials asked and not yet told do not change the model, so
the k asks of a batch draw from the same two estimators: ``sample_batch`` builds them once
and draws the k points, each the best of its own ``n_ei_candidates`` candidates by the
acquisition function — what k sequential asks would give, at the cost of one.

A batch draws each point from ``EI_CANDIDATES`` (4) candidates, not Optuna's 24: k points
from one fixed model, each the best of 24, pile onto the acquisition function's one
maximum (a 50-point batch: 21-24 distinct points, none near a second good region); the
best of 4 keeps the batch spread over the good trials' estimator, every good region
included, much as a sequential TPE spreads its asks with a model that changes after every
trial. On the bench's deceptive space this is what lets a 2,000-trial study match the
best of 100,000 random points (docs/studies.md).

The model reads the finished trials as columns (``Finished``: their states, parameters and
objective values as arrays in number order), never as Optuna trials: rebuilding an Optuna
study of 10,000 trials to ask one batch cost 0.7 s, most of the ask. ``sample_finished``
splits the columns as Optuna's ``_split_trials`` splits the trials (the best
``default_gamma(n)`` complete trials, then pruned ones in number order; two objectives by
Optuna's own non-domination ranking) and builds the same ``_ParzenEstimator``s from the
same observations, so a batch draws exactly the points the Optuna path drew (same seed,
same stored trials; tests/studies/test_study_tpe_columns.py checks it against
``reference_batch``, that path). The acquisition function is Optuna's log-density
(``_MixtureOfProductDistribution.log_pdf``) with the same arithmetic in the same order,
evaluated once per distinct candidate and gathering each parameter's log-mass table with
``np.take`` instead of an ``np.ix_`` index (``mixture_log_pdf``): the above-estimator has
one component per trial, and at 10,000 trials that gather was most of the time left.

Until ``n_startup_trials`` trials have finished there is no model: ``sample_batch`` returns
None and the batch is asked point by point (TPE's own start-up: independent random
sampling). Built on TPESampler's internals (``_parzen_estimator_parameters``, ``_rng``,
``_split_complete_trials_multi_objective``, the batched distributions) of the pinned optuna
5.0.0 (requirements.txt); tests/studies/test_study_sampling.py checks that a batch lands
where the good trials are.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NamedTuple

import numpy as np
from optuna.samplers import TPESampler
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
from optuna.samplers._tpe.sampler import (
    _split_complete_trials_multi_objective,
    _split_trials,
    default_gamma,
)
from optuna.study import StudyDirection
from optuna.trial import TrialState

from kinds.studies.tpe_density import log_pdf

EI_CANDIDATES = 4
"""Candidates per point of a batch (Optuna's default is 24): few enough that a batch drawn
from one model stays spread over every good region (module docstring)."""


@dataclass(frozen=True)
class Finished:
    """The finished trials (COMPLETE or PRUNED) as the model reads them, in number order:
    ``complete`` (False: PRUNED), ``params`` (one column per searched parameter, Optuna's
    internal representation, NaN where a trial lacks the parameter), ``values`` (one column
    per objective, NaN for a PRUNED trial)."""

    complete: np.ndarray
    params: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.complete)


def finished_columns(
    rows: list[tuple[bool, dict[str, Any], list[float] | None]],
    names: list[str],
    objectives: int,
) -> Finished:
    """``Finished`` of ``(complete, params, values)`` rows in number order (``names``: the
    searched parameters, in the space's order)."""
    nan = float("nan")
    complete = np.fromiter((row[0] for row in rows), dtype=bool, count=len(rows))
    params = np.array(
        [[float(p[name]) if name in p else nan for name in names] for _, p, _ in rows],
        dtype=float,
    ).reshape(len(rows), len(names))
    blank = [nan] * objectives
    values = np.array(
        [v if ok and v is not None else blank for ok, _, v in rows], dtype=float
    ).reshape(len(rows), objectives)
    return Finished(complete, params, values)


class _Point(NamedTuple):
    """A complete trial as Optuna's multi-objective split reads it (its ``values``)."""

    index: int
    values: list[float]


def split_below(finished: Finished, directions: list[str], n_below: int) -> np.ndarray:
    """Which finished trials make the good trials' estimator (a mask in number order): what
    Optuna's ``_split_trials`` puts below — the ``n_below`` best complete trials (by the
    objective, earliest first on ties; with two, by Optuna's non-domination ranking and
    hypervolume tie-break), then as many pruned trials as are still wanted, in number
    order (pruned trials without intermediate values all score alike)."""
    below = np.zeros(len(finished), dtype=bool)
    complete = np.flatnonzero(finished.complete)
    taken = min(n_below, len(complete))
    if len(directions) == 1:
        scores = finished.values[complete, 0]
        order = np.argsort(-scores if directions[0] == "maximize" else scores, kind="stable")
        below[complete[order[:taken]]] = True
    elif taken:
        maximize, minimize = StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE
        study = SimpleNamespace(directions=[maximize if d == "maximize" else minimize
                                            for d in directions])  # fmt: skip
        points = [_Point(int(i), finished.values[i].tolist()) for i in complete]
        chosen, _ = _split_complete_trials_multi_objective(points, study, taken)
        below[[p.index for p in chosen]] = True
    pruned = np.flatnonzero(~finished.complete)
    below[pruned[: max(0, n_below - taken)]] = True
    return below


class BatchTPESampler(TPESampler):
    """``TPESampler`` (multivariate, no constant liar) with ``sample_batch``, drawing each
    point from ``EI_CANDIDATES`` candidates unless told otherwise."""

    def __init__(self, *, n_ei_candidates: int = EI_CANDIDATES, **options: Any) -> None:
        super().__init__(n_ei_candidates=n_ei_candidates, **options)

    def sample_batch(
        self, study: Any, search_space: dict[str, Any], count: int
    ) -> list[dict[str, Any]] | None:
        """``sample_finished`` over the finished trials of an Optuna ``study``."""
        states = [TrialState.COMPLETE, TrialState.PRUNED]
        trials = study._get_trials(deepcopy=False, states=states, use_cache=False)
        rows = [(t.state == TrialState.COMPLETE, t.params, t.values) for t in trials]
        finished = finished_columns(rows, list(search_space), len(study.directions))
        directions = ["maximize" if d == StudyDirection.MAXIMIZE else "minimize"
                      for d in study.directions]  # fmt: skip
        return self.sample_finished(finished, directions, search_space, count)

    def sample_finished(
        self,
        finished: Finished,
        directions: list[str],
        search_space: dict[str, Any],
        count: int,
    ) -> list[dict[str, Any]] | None:
        """``count`` points drawn from one model of the ``finished`` trials; None before
        ``n_startup_trials`` have finished (the caller asks them one by one)."""
        if count <= 0:
            return []
        if len(finished) < self._n_startup_trials:
            return None
        gamma = self._gamma or default_gamma
        below = split_below(finished, directions, gamma(len(finished)))
        whole = ~np.isnan(finished.params).any(axis=1)  # Optuna skips a trial lacking one
        mpe_below = self._estimator(finished.params[below & whole], search_space, directions)
        mpe_above = self._estimator(finished.params[~below & whole], search_space, None)
        n = self._n_ei_candidates
        samples = mpe_below.sample(self._rng.rng, count * n)
        scores = log_pdf(mpe_below, samples) - log_pdf(mpe_above, samples)
        return _best(samples, scores, search_space, count, n)

    def _estimator(
        self, observed: np.ndarray, search_space: dict[str, Any], below_of: list[str] | None
    ) -> _ParzenEstimator:
        """Optuna's ``_build_parzen_estimator`` on columns: the good trials' estimator of a
        two-objective study (``below_of`` its directions) weighs its trials alike."""
        observations = {name: observed[:, i] for i, name in enumerate(search_space)}
        weights = None
        if below_of is not None and len(below_of) > 1:
            weights = np.ones(len(observed))
        return self._parzen_estimator_cls(
            observations, search_space, self._parzen_estimator_parameters, weights
        )


def reference_batch(
    sampler: BatchTPESampler, study: Any, search_space: dict[str, Any], count: int
) -> list[dict[str, Any]] | None:
    """What a batch drew before the columns: Optuna's own split, estimators and acquisition
    function on a rebuilt study (the parity test's and the bench's reference)."""
    states = [TrialState.COMPLETE, TrialState.PRUNED]
    trials = study._get_trials(deepcopy=False, states=states, use_cache=False)
    if len(trials) < sampler._n_startup_trials:
        return None
    below, above = _split_trials(study, trials, (sampler._gamma or default_gamma)(len(trials)))
    mpe_below = sampler._build_parzen_estimator(study, search_space, below, handle_below=True)
    mpe_above = sampler._build_parzen_estimator(study, search_space, above, handle_below=False)
    n = sampler._n_ei_candidates
    samples = mpe_below.sample(sampler._rng.rng, count * n)
    scores = sampler._compute_acquisition_func(samples, mpe_below, mpe_above)
    return _best(samples, scores, search_space, count, n)


def _best(
    samples: dict[str, np.ndarray],
    scores: np.ndarray,
    search_space: dict[str, Any],
    count: int,
    n: int,
) -> list[dict[str, Any]]:
    """Of each run of ``n`` candidates, the one scoring highest (the first on ties), as
    plain parameter values."""
    best = np.arange(count) * n + scores.reshape(count, n).argmax(axis=1)
    return [
        {name: _plain(d.to_external_repr(samples[name][i])) for name, d in search_space.items()}
        for i in best
    ]


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value
