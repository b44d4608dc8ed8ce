"""A study request's fields as data: the samplers, the objectives' defaults and the limits.
Its own module so the contract (``kinds.studies.contract``) and its validation model
(``kinds.studies.request_model``, loaded on first use) both import it."""

from __future__ import annotations

from kinds.sweeps.contract import TRADING_FIELDS

SAMPLERS = ("tpe", "cmaes", "random", "nsga2")
"""The samplers a study may name (Optuna's TPE, CMA-ES, random and NSGA-II)."""

DEFAULT_SAMPLER = "tpe"
"""The sampler of a one-objective study that names none (bench/study_bench.py: the best
Sharpe for the trials at an ask cost well inside the budget; docs/studies.md)."""

MULTI_SAMPLER = "nsga2"
"""The sampler of a two-objective study that names none."""

SINGLE_OBJECTIVE_ONLY = ("cmaes",)
"""Samplers that optimise one objective only."""

DIRECTIONS = ("maximize", "minimize")

DEFAULT_OBJECTIVES = ({"metric": "sharpe_ratio", "direction": "maximize"},)
"""Maximise Sharpe when the request names no objective."""

MAX_TRIALS = 20_000
"""The largest trial budget (``n_trials``, and after ``extend``)."""

MAX_TIMEOUT_S = 7 * 24 * 3600
"""The longest time budget, in seconds."""

MAX_PARALLELISM = 8
"""Most batches of one study queued or running at once (the ScaledJob's replicas)."""

DEFAULT_PARALLELISM = 2

DEFAULT_BATCH_SIZE = 250
"""Trials one queued batch asks for and evaluates: a consumer Job costs about a CPU-second
of start-up, so a 2,000-trial study in 8 batches spends little of its time starting
processes (bench/study_bench.py)."""

MAX_BATCH_SIZE = 2000

STUDY_OWN_FIELDS = (
    "space",
    "objectives",
    "sampler",
    "n_trials",
    "timeout_s",
    "parallelism",
    "batch_size",
    "seed",
    "name",
    "cache",
)
"""A study's own fields, whatever it searches."""

STUDY_FIELDS = ("ticker", "rule_type", "params", *TRADING_FIELDS, *STUDY_OWN_FIELDS)
"""Every field a run study request may carry: a run request's (less run_id, rule_id, charts
and the labels but ``name``) and the study's own. A study over another kind's request
carries ``kind``, ``base`` and the study's own (``kinds.studies.bases``)."""
