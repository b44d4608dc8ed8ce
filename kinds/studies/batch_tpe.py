"""TPE for a batch of trials: one model per batch.

Optuna's ``TPESampler`` builds its two Parzen estimators (the best trials', the others') on
every ask, from every finished trial: asking 250 trials of a 2,000-trial study one by one
cost 30 to 120 ms each here (bench/study_bench.py), and a study's batches ask under its
lock. Without the constant liar, trials asked and not yet told do not change the model, so
the k asks of a batch draw from the same two estimators: ``sample_batch`` builds them once
and draws the k points, each the best of its own ``n_ei_candidates`` candidates by the
acquisition function — what k sequential asks would give, at the cost of one.

Until ``n_startup_trials`` trials have finished there is no model: ``sample_batch`` returns
None and the batch is asked point by point (TPE's own start-up: independent random
sampling). Built on TPESampler's internals (``_split_trials``, ``_build_parzen_estimator``,
``_compute_acquisition_func``) of the pinned optuna 5.0.0 (requirements.txt);
tests/studies/test_study_sampling.py checks that a batch lands where the good trials are.

Exploitation: TPE alone spreads its draws over the whole good region and on a rugged
space (levels on a 0.25 grid, 40 stop values) stays a few hundredths short of the best of
100,000 random points (docs/benchmarks.md). So with one objective and a known budget
(``n_trials``), a share of each batch after the first ``EXPLOIT_AFTER`` of the budget is
drawn around the best trials so far (``local_points``): a Gaussian step on one parameter
(on its steps, in log space for a log parameter, inside its bounds), narrowing as the
budget runs out. Its random numbers come from the sampler's seeded generator, so a batch
is still determined by the seed and the stored trials.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from optuna.distributions import IntDistribution
from optuna.samplers import TPESampler
from optuna.samplers._tpe.sampler import _split_trials, default_gamma
from optuna.trial import TrialState

EXPLOIT_AFTER = 0.3
"""The share of the budget asked before a batch draws around the best trials."""
EXPLOIT_SHARE = 0.5
"""The share of such a batch drawn around the best trials (the rest: TPE)."""
EXPLOIT_CENTRES = 8
"""How many of the best trials the local points are drawn around."""
EXPLOIT_OTHERS = 0.0
"""The chance that a local point moves a parameter besides the one it always moves."""
EXPLOIT_WIDTH = (0.08, 0.01)
"""A local step's standard deviation, as a share of each parameter's range: at
``EXPLOIT_AFTER`` of the budget, and at its end (linear in between)."""


class BatchTPESampler(TPESampler):
    """``TPESampler`` (multivariate, no constant liar) with ``sample_batch``; with a budget
    (``n_trials``) and one objective, part of each late batch is local search."""

    def __init__(self, *args: Any, n_trials: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._n_trials = n_trials

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
        local = self._local_batch(study, search_space, trials, count)
        count -= len(local)
        gamma = self._gamma or default_gamma
        below, above = _split_trials(study, trials, gamma(len(trials)))
        mpe_below = self._build_parzen_estimator(study, search_space, below, handle_below=True)
        mpe_above = self._build_parzen_estimator(study, search_space, above, handle_below=False)
        n = self._n_ei_candidates
        samples = mpe_below.sample(self._rng.rng, count * n)
        scores = self._compute_acquisition_func(samples, mpe_below, mpe_above)
        best = np.arange(count) * n + scores.reshape(count, n).argmax(axis=1)
        drawn = [
            {
                name: _plain(dist.to_external_repr(samples[name][i]))
                for name, dist in search_space.items()
            }
            for i in best
        ]
        return drawn + local

    def _local_batch(
        self, study: Any, search_space: dict[str, Any], trials: list[Any], count: int
    ) -> list[dict[str, Any]]:
        """The batch's points drawn around the best trials (none before ``EXPLOIT_AFTER``
        of the budget, without a budget, or with two objectives)."""
        if self._n_trials is None or len(study.directions) != 1:
            return []
        progress = len(trials) / self._n_trials
        if progress < EXPLOIT_AFTER:
            return []
        sign = -1.0 if study.direction.name == "MINIMIZE" else 1.0
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
        ranked = sorted(complete, key=lambda t: (-sign * t.values[0], t.number))
        centres = [t.params for t in ranked[:EXPLOIT_CENTRES]]
        if not centres:
            return []
        late = min((progress - EXPLOIT_AFTER) / (1 - EXPLOIT_AFTER), 1.0)
        width = EXPLOIT_WIDTH[0] + (EXPLOIT_WIDTH[1] - EXPLOIT_WIDTH[0]) * late
        share = round(count * EXPLOIT_SHARE)
        return local_points(self._rng.rng, search_space, centres, share, width)


def local_points(
    rng: np.random.RandomState,
    space: dict[str, Any],
    centres: list[dict[str, Any]],
    count: int,
    width: float,
) -> list[dict[str, Any]]:
    """``count`` points each near one of ``centres`` (taken in turn, best first): one random
    parameter (and each other with chance ``EXPLOIT_OTHERS``) moved by a Gaussian step of
    ``width`` × its range (in log space for a log parameter), then put on its step and
    inside its bounds; a point equal to its centre moves one step, so no point repeats
    its centre."""
    points = []
    names = list(space)
    for index in range(count):
        centre = centres[index % len(centres)]
        chosen = names[rng.randint(len(names))]
        point = {
            name: _move(space[name], centre[name], rng.normal() * width)
            if name == chosen or rng.random_sample() < EXPLOIT_OTHERS
            else centre[name]
            for name in names
        }
        if point == centre:
            name = names[rng.randint(len(names))]
            dist = space[name]
            way = 1 if rng.randint(2) else -1
            point[name] = _nudge(dist, centre[name], way, width)
            if point[name] == centre[name]:  # at a bound: the other way
                point[name] = _nudge(dist, centre[name], -way, width)
        points.append(point)
    return points


def _move(dist: Any, value: Any, shift: float) -> Any:
    """``value`` of ``dist`` moved by ``shift`` × its range (in log space for a log
    parameter), on its step and inside its bounds."""
    low, high = float(dist.low), float(dist.high)
    if high <= low:
        return value
    if dist.log:
        moved = float(np.exp(np.log(float(value)) + shift * (np.log(high) - np.log(low))))
    else:
        moved = float(value) + shift * (high - low)
    step = dist.step
    if step:
        moved = low + round((min(max(moved, low), high) - low) / step) * step
        moved = min(moved, low + ((high - low) // step) * step)
    moved = min(max(moved, low), high)
    if isinstance(dist, IntDistribution):
        return round(moved)
    return float(round(moved, 12))


def _nudge(dist: Any, value: Any, way: int, width: float) -> Any:
    """``value`` of ``dist`` one step (``width`` × its range, in log space for a log
    parameter, without a step) up (``way`` 1) or down (-1), inside its bounds."""
    if not dist.step:
        return _move(dist, value, way * width)
    moved = min(max(value + way * dist.step, dist.low), dist.high)
    return moved if isinstance(dist, IntDistribution) else float(round(moved, 12))


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value
