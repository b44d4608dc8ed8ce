"""TPE for a batch of trials: one model per batch.

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

Until ``n_startup_trials`` trials have finished there is no model: ``sample_batch`` returns
None and the batch is asked point by point (TPE's own start-up: independent random
sampling). Built on TPESampler's internals (``_split_trials``, ``_build_parzen_estimator``,
``_compute_acquisition_func``) of the pinned optuna 5.0.0 (requirements.txt);
tests/studies/test_study_sampling.py checks that a batch lands where the good trials are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from optuna.samplers import TPESampler
from optuna.samplers._tpe.sampler import _split_trials, default_gamma
from optuna.trial import TrialState

EI_CANDIDATES = 4
"""Candidates per point of a batch (Optuna's default is 24): few enough that a batch drawn
from one model stays spread over every good region (module docstring)."""


class BatchTPESampler(TPESampler):
    """``TPESampler`` (multivariate, no constant liar) with ``sample_batch``, drawing each
    point from ``EI_CANDIDATES`` candidates unless told otherwise."""

    def __init__(self, *, n_ei_candidates: int = EI_CANDIDATES, **options: Any) -> None:
        super().__init__(n_ei_candidates=n_ei_candidates, **options)

    def sample_batch(
        self, study: Any, search_space: dict[str, Any], count: int
    ) -> list[dict[str, Any]] | None:
        """``count`` points drawn from one model of the study's finished trials; None
        before ``n_startup_trials`` have finished (the caller asks them one by one)."""
        if count <= 0:
            return []
        states = [TrialState.COMPLETE, TrialState.PRUNED]
        trials = study._get_trials(deepcopy=False, states=states, use_cache=False)
        if len(trials) < self._n_startup_trials:
            return None
        gamma = self._gamma or default_gamma
        below, above = _split_trials(study, trials, gamma(len(trials)))
        mpe_below = self._build_parzen_estimator(study, search_space, below, handle_below=True)
        mpe_above = self._build_parzen_estimator(study, search_space, above, handle_below=False)
        n = self._n_ei_candidates
        samples = mpe_below.sample(self._rng.rng, count * n)
        scores = self._compute_acquisition_func(samples, mpe_below, mpe_above)
        best = np.arange(count) * n + scores.reshape(count, n).argmax(axis=1)
        return [
            {
                name: _plain(dist.to_external_repr(samples[name][i]))
                for name, dist in search_space.items()
            }
            for i in best
        ]


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value
