"""The run kind's own settings (``WorkKind.settings`` of ``kinds.runs.kind.RUN``): declared
here, beside the code they tune, and read by config's one reader of the environment
(``config.process.Variable``); the web puts them into its config by name
(``web.create_app``).
"""

from __future__ import annotations

from config.process import (
    RUN_MAX_MEMORY_MB,
    SIGNAL_MAX_VALUES,
    SIGNAL_MAX_WORK,
    Variable,
    positive_int,
)

RUN_MAX_PENDING_PER_CLIENT = Variable(
    "RUN_MAX_PENDING_PER_CLIENT",
    positive_int,
    1000,
    "runs one client may have waiting on the runs' queue; a run past it is a 429",
)

MONTECARLO_MAX_VALUES = Variable(
    "MONTECARLO_MAX_VALUES",
    positive_int,
    3_000_000,
    "most values (paths × bar returns) one Monte Carlo of a run simulates; more paths are a "
    "400 naming paths",
)
"""Bounds the web's on-demand Monte Carlo of a run (``web.api.runs.montecarlo``): about 40
bytes and 0.2 µs of CPU per value, so the default is ≈ 120 MB and ≈ 0.5 s at most."""

SETTINGS = (
    RUN_MAX_PENDING_PER_CLIENT,
    MONTECARLO_MAX_VALUES,
    SIGNAL_MAX_WORK,
    SIGNAL_MAX_VALUES,
    RUN_MAX_MEMORY_MB,
)
"""Every setting of the run kind (the signal cost and memory caps are declared in
``config.process``: a Job reads them too, ``kinds.runs.signal_cost``,
``kinds.runs.run_memory``)."""
