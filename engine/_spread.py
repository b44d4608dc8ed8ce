"""A compiled batch spread over the cores: contiguous ranges of its runs, each walked by a
kernel that releases the GIL (``nogil``) on a Python thread of its own, their rows written
where a single call would write them. Not numba's ``parallel``: a parallel variant is a
second compilation of the whole kernel, OpenMP's threads spin for milliseconds after each
call (CPU a Job pays for nothing), and GNU OpenMP's do not survive a fork. Used by the one
pass (``engine._kernel.evaluate_runs``) and the broker step's batch pass
(``engine.broker.curves.evaluate``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MIN_SPREAD_WORK = 1_000_000
"""Bar-updates of a batch from which it is spread over the threads: starting them costs
~0.1-0.2 ms, a few percent of a batch this size."""


def threads() -> int:
    """The threads a batch is spread over: numba's (``NUMBA_NUM_THREADS``, or
    ``numba.set_num_threads``'s once numba's pool is up: a Job's CPU share,
    ``consumer.__main__.use_job_threads``), read without starting that pool."""
    import numba
    from numba.np.ufunc import parallel as pool

    if getattr(pool, "_is_initialized", False):
        return numba.get_num_threads()
    return numba.config.NUMBA_NUM_THREADS


def run_ranges(n_runs: int, threads: int, unit: int = 1) -> list[tuple[int, int]]:
    """``n_runs`` runs cut into at most ``threads`` contiguous ranges of whole ``unit``\\ s
    of runs (the last range may be short), as even as the units allow."""
    units = -(-n_runs // unit)
    per = -(-units // max(threads, 1)) * unit
    return [(lo, min(lo + per, n_runs)) for lo in range(0, n_runs, per)] if n_runs else []


def spread(walk: Callable[[int, int], Any], ranges: Sequence[tuple[int, int]]) -> list[Any]:
    """``walk(lo, hi)`` of every range, each on a thread of its own (one range: here), in
    the ranges' order."""
    if len(ranges) < 2:
        return [walk(lo, hi) for lo, hi in ranges]
    with ThreadPoolExecutor(len(ranges)) as pool:
        return list(pool.map(lambda bounds: walk(*bounds), ranges))
