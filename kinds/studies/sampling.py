"""The Optuna side of a study: the samplers, a study rebuilt in memory from the stored
trials, asking a batch of trials (re-asking failed trials' params first, with
``enqueue_trial``), and what the API derives from the trials (best trials, Pareto front,
parameter importances: ``kinds.studies.importance``).

A study's trials live in our tables (``study_trials``), not in Optuna's RDB storage: that
storage's own tables (``studies``, ``trials``, ``alembic_version``…) would collide with ours
in one schema. A batch of batch TPE (past its start-up) reads the finished trials' params
and values as columns and draws from one model of them (``ask_from_columns``,
``kinds.studies.batch_tpe``), and random reads no trial: their cost per trial stays flat
as the study grows. The other samplers, and TPE's start-up, rebuild an in-memory study
from the stored trials, in number
order (so Optuna's numbers are ours), sampler state included (``system_attrs``: CMA-ES's
optimizer, NSGA-II's generations), and ask it; the caller stores what was asked.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

RUNNING, COMPLETE, PRUNED, FAIL = "RUNNING", "COMPLETE", "PRUNED", "FAIL"
"""A trial's states (Optuna's names): asked and being evaluated; evaluated; evaluated with
no defined objective (or breaking a constraint: never run); its batch died (its params are
asked again)."""

COUNTED = (RUNNING, COMPLETE, PRUNED)
"""The states counted toward the trial budget (a FAIL trial's retry counts instead)."""


@dataclass(frozen=True)
class TrialRow:
    """A stored trial as the sampler sees it."""

    number: int
    state: str
    params: dict[str, Any]
    values: list[float] | None
    system_attrs: dict[str, Any]


@dataclass(frozen=True)
class Asked:
    """A trial just asked: its number, params, the sampler's attributes, and the number of
    the FAIL trial whose params it re-asks (None for a new point)."""

    number: int
    params: dict[str, Any]
    system_attrs: dict[str, Any]
    retry_of: int | None


def _optuna():
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    return optuna


def distributions(space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Optuna's distribution of each space entry."""
    from optuna.distributions import FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for name, entry in space.items():
        if entry["type"] == "int":
            out[name] = IntDistribution(
                int(entry["low"]), int(entry["high"]), log=entry["log"], step=entry["step"] or 1
            )
        else:
            out[name] = FloatDistribution(
                entry["low"], entry["high"], log=entry["log"], step=entry["step"]
            )
    return out


def make_sampler(name: str, seed: int, batch_size: int):
    """The sampler ``name`` (``kinds.studies.fields.SAMPLERS``) seeded with ``seed``; the
    evolutionary ones (CMA-ES, NSGA-II) take one batch as one generation (``batch_size``):
    a generation is told only once its trials have finished, which is when a batch ends."""
    samplers = _optuna().samplers
    if name == "tpe":
        from kinds.studies.batch_tpe import BatchTPESampler

        return BatchTPESampler(seed=seed, multivariate=True)
    if name == "cmaes":
        return samplers.CmaEsSampler(
            seed=seed, popsize=max(batch_size, 2), warn_independent_sampling=False
        )
    if name == "nsga2":
        return samplers.NSGAIISampler(seed=seed, population_size=max(batch_size, 2))
    return samplers.RandomSampler(seed=seed)


def rebuild(stored: dict[str, Any], trials: list[TrialRow], *, seed: int | None = None):
    """An in-memory Optuna study holding ``trials`` (sorted by number, numbered from 0)."""
    optuna = _optuna()
    directions = [o["direction"] for o in stored["objectives"]]
    sampler = make_sampler(
        stored["sampler"], stored["seed"] if seed is None else seed, int(stored["batch_size"])
    )
    study = optuna.create_study(directions=directions, sampler=sampler)
    dists = distributions(stored["space"])
    state = optuna.trial.TrialState
    frozen = []
    for row in trials:
        usable = {k: v for k, v in row.params.items() if k in dists}
        frozen.append(
            optuna.trial.create_trial(
                state=getattr(state, row.state),
                params=usable,
                distributions={k: dists[k] for k in usable},
                values=row.values if row.state == COMPLETE else None,
                system_attrs=row.system_attrs,
            )
        )
    study.add_trials(frozen)
    return study


def _seed(stored: dict[str, Any], before: int) -> int:
    """The sampler's seed for a batch asked after ``before`` trials (``ask``)."""
    return (stored["seed"] * 1_000_003 + before) % 2**31


INDEPENDENT = ("random",)
"""Samplers whose points do not depend on the stored trials (Optuna's ``RandomSampler``
draws each parameter from its seeded generator alone): a batch asks an empty study."""


def asks_from_columns(stored: dict[str, Any]) -> bool:
    """Whether a batch of the study's sampler may ask from the trials' count, the retries
    and (batch TPE) the finished trials' columns alone (``ask_from_columns``), without
    reading every trial."""
    return stored["sampler"] == "tpe" or stored["sampler"] in INDEPENDENT


def ask_from_columns(
    stored: dict[str, Any],
    total: int,
    finished: list[tuple[bool, dict[str, Any], list[float] | None]],
    count: int,
    retries: list[TrialRow],
    before: int | None = None,
) -> list[Asked] | None:
    """``ask``, the same trials, from ``total`` (the trials stored) and, for batch TPE,
    ``finished``: each COMPLETE or PRUNED trial's (complete, params, values) in number
    order — what ``kinds.studies.state.finished_trials`` reads as columns; no Optuna trial
    is built. A sampler that ignores the trials (``INDEPENDENT``) asks an empty study. None
    when every trial is needed: the other samplers, and TPE before its model (its start-up
    counts the trials)."""
    from kinds.studies.batch_tpe import finished_columns

    if count <= 0:
        return []
    if stored["sampler"] in INDEPENDENT:
        return _ask_rebuilt(stored, [], total, count, retries, before)
    if stored["sampler"] != "tpe":
        return None
    start = total if before is None else before
    sampler = make_sampler(stored["sampler"], _seed(stored, start), int(stored["batch_size"]))
    dists = distributions(stored["space"])
    directions = [o["direction"] for o in stored["objectives"]]
    again = retries[:count]
    columns = finished_columns(finished, list(dists), len(directions))
    points = sampler.sample_finished(columns, directions, dists, count - len(again))
    if points is None:
        return None
    repeated = [
        Asked(total + i, dict(row.params), {"fixed_params": row.params}, row.number)
        for i, row in enumerate(again)
    ]
    fresh = [Asked(total + len(again) + i, p, {}, None) for i, p in enumerate(points)]
    return repeated + fresh


def ask(
    stored: dict[str, Any],
    trials: list[TrialRow],
    count: int,
    retries: list[TrialRow],
    before: int | None = None,
) -> list[Asked]:
    """Ask ``count`` trials of the study ``trials`` make up: first ``retries``' params again
    (``enqueue_trial``: FAIL trials whose batch died), then new points from the sampler
    (seeded by the study's seed and how many trials came before — ``before``, default
    ``len(trials)``: also those other batches reserved and are asking at the same time —
    so a study run one batch at a time asks the same points every time, and two batches
    asking at once do not ask the same ones). Numbered from ``len(trials)``. Batch TPE
    reads the finished trials as columns and random reads none (``ask_from_columns``); the
    others ask a study rebuilt from every trial."""
    if count <= 0:
        return []
    finished = [
        (row.state == COMPLETE, row.params, row.values)
        for row in trials
        if row.state in (COMPLETE, PRUNED)
    ]
    asked = ask_from_columns(stored, len(trials), finished, count, retries, before)
    if asked is not None:
        return asked
    return _ask_rebuilt(stored, trials, len(trials), count, retries, before)


def _ask_rebuilt(
    stored: dict[str, Any],
    trials: list[TrialRow],
    total: int,
    count: int,
    retries: list[TrialRow],
    before: int | None,
) -> list[Asked]:
    """``ask`` of a study rebuilt from ``trials`` (all ``total`` stored, or none for an
    ``INDEPENDENT`` sampler), Optuna asking point by point: the retries first (enqueued,
    so numbered first), then the sampler's; numbered from ``total``."""
    start = total if before is None else before
    study = rebuild(stored, trials, seed=_seed(stored, start))
    dists = distributions(stored["space"])
    again = retries[:count]
    for row in again:
        study.enqueue_trial({k: v for k, v in row.params.items() if k in dists})
    asked = []
    for index in range(count):
        trial = study.ask(dists)
        attrs = study._storage.get_trial(trial._trial_id).system_attrs
        retry_of = again[index].number if index < len(again) else None
        asked.append(Asked(total + index, dict(trial.params), _plain(attrs), retry_of))
    return asked


def _plain(value: Any) -> Any:
    """Sampler attributes as JSON (tuples as lists, numpy scalars as numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def objective_values(objectives: list[dict], metrics: dict[str, Any]) -> list[float] | None:
    """A trial's objective values from its metrics; None when one is undefined."""
    values = [metrics.get(o["metric"]) for o in objectives]
    if any(v is None or not math.isfinite(v) for v in values):
        return None
    return [float(v) for v in values]


def best_trials(stored: dict[str, Any], trials: list[TrialRow]) -> list[int]:
    """The numbers of the best trial (one objective) or of the Pareto front (two), in
    number order; empty before a trial completed."""
    complete = [t for t in trials if t.state == COMPLETE and t.values is not None]
    return best_of(stored, [t.number for t in complete], [t.values for t in complete])


def best_of(stored: dict[str, Any], numbers: list[int], values: list[list[float]]) -> list[int]:
    """``best_trials`` of the COMPLETE trials ``numbers`` with their objective ``values``
    (two columns, in number order)."""
    if not numbers:
        return []
    signs = [1.0 if o["direction"] == "maximize" else -1.0 for o in stored["objectives"]]
    if len(signs) == 1:
        sign = signs[0]
        return [max(zip(numbers, values, strict=True), key=lambda t: (sign * t[1][0], -t[0]))[0]]
    a, b = signs
    return pareto_front([(n, a * v[0], b * v[1]) for n, v in zip(numbers, values, strict=True)])


def pareto_front(points: list[tuple[int, float, float]]) -> list[int]:
    """The numbers of the points ``(number, a, b)`` (both to maximise) that no other point
    dominates (at least as good on both, better on one; equal points keep each other), in
    number order. One sort and one sweep from the best ``a`` down, keeping the best ``b``
    of the points with a strictly better ``a``: n log n, where comparing every pair is n²
    (seconds at a few thousand trials)."""
    front: list[int] = []
    above = -math.inf  # the best b of the points with a strictly greater a
    ordered = sorted(points, key=lambda p: -p[1])
    start = 0
    while start < len(ordered):
        end = start
        while end < len(ordered) and ordered[end][1] == ordered[start][1]:
            end += 1
        group = ordered[start:end]
        top = max(b for _, _, b in group)
        front += [number for number, _, b in group if b == top and b > above]
        above = max(above, top)
        start = end
    return sorted(front)


MIN_TRIALS_FOR_IMPORTANCE = 10
"""Fewer complete trials than this: no importances (an estimate on a handful is noise)."""


def importances(stored: dict[str, Any], trials: list[TrialRow]) -> dict[str, float] | None:
    """Each searched parameter's importance for reaching the best trials (Optuna's PED-ANOVA
    evaluator, numpy only, no scikit-learn: the top quantile by the objective, or by the
    Pareto ranking with two), largest first; None with too few complete trials or a space of
    one parameter. Computed from the complete trials' params and values as columns
    (``kinds.studies.importance``: Optuna's numbers without rebuilding its study)."""
    from kinds.studies.importance import columns_of, importances_of

    complete = [t for t in trials if t.state == COMPLETE and t.values is not None]
    if len(complete) < MIN_TRIALS_FOR_IMPORTANCE or len(stored["space"]) < 2:
        return None
    dists = distributions(stored["space"])
    directions = [o["direction"] for o in stored["objectives"]]
    columns = columns_of(list(dists), [t.params for t in complete])
    try:
        found = importances_of(dists, directions, columns, [t.values for t in complete])
    except (ValueError, RuntimeError):
        return None
    return {name: float(value) for name, value in found.items()}


def reference_importances(stored: dict[str, Any], params: list[dict[str, Any]],
                          values: list[list[float]]) -> dict[str, float]:  # fmt: skip
    """The same through Optuna: the trials rebuilt as an in-memory study and its
    ``get_param_importances`` with the PED-ANOVA evaluator (what the columns must equal;
    ``bench.study_bench`` times both). Optuna's warnings (ties at the cut) are silenced."""
    import warnings

    optuna = _optuna()
    rows = [
        TrialRow(i, COMPLETE, p, v, {}) for i, (p, v) in enumerate(zip(params, values, strict=True))
    ]
    study = rebuild(stored, rows)
    evaluator = optuna.importance.PedAnovaImportanceEvaluator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    return {name: float(value) for name, value in found.items()}
