"""A sweep request's fields as data: the chunk sizes, the tickers' limit and which fields
a sweep takes. Its own module so that the contract (``kinds.sweeps.contract``) and its
validation model (``kinds.sweeps.request_model``, loaded on first use) both import it and
neither imports the other's module at its top.
"""

from __future__ import annotations

from kinds.runs.contract import REQUEST_FIELDS

CHUNK_SIZE_MIN, CHUNK_SIZE_MAX = 50, 2000
"""Allowed ``chunk_size`` values (combinations per queued message)."""

DEFAULT_CHUNK_SIZE = 1000
"""Combinations per chunk when neither the request nor SWEEP_CHUNK_SIZE says: a consumer
process costs ~0.5 s of start-up and 1,000 combos ~0.06 s of compute, so fewer, larger
chunks finish a sweep sooner on a small cluster."""

CSCV_BLOCKS = 16
"""S, the blocks a sweep's combinations' returns are cut into for the probability of
backtest overfitting (``cscv_blocks``; the paper's choice): even, 0 (off) to ``CSCV_BLOCKS_MAX``."""

CSCV_BLOCKS_MAX = 20
"""The most blocks a sweep may ask for (C(20, 10) = 184,756 splits, sampled beyond the
CSCV budget, ``adapters.cscv.MAX_EVALUATIONS``)."""

MAX_TICKERS = 20
"""Most tickers one sweep may cover."""

NOT_SWEEP_FIELDS = ("run_id", "rule_id", "charts", "capacity", "capacity_capitals")
"""Run fields a sweep request may not carry (each combination gets its own run_id and slug;
a sweep stores metrics only, never charts nor a run's capacity curve)."""

SWEEP_FIELDS = (
    *(name for name in REQUEST_FIELDS if name not in NOT_SWEEP_FIELDS),
    "tickers",
    "grid",
    "chunk_size",
    "cscv_blocks",
    "random",
)
"""Every field a sweep request may carry (``random``: a PYTHON sweep's only)."""

SUBMISSION_FIELDS = ("cache",)
"""Fields ``POST /api/sweeps`` takes besides the sweep request: how to submit it, not what
it computes (``cache``: false runs its chunks even when an identical sweep finished;
``kinds.sweeps.cache``). Never stored with the request."""
