"""Seed numba's cache of the engine's compiled kernels from the copy built into the image.

numba loads cached machine code only from a directory it can write to, and a Job's root
filesystem is read-only: the Dockerfile compiles every kernel into NUMBA_CACHE_SEED
(/opt/numba-cache, for ``NUMBA_CPU_NAME=generic``, so one cache serves every node) and a Job
points NUMBA_CACHE_DIR at its writable /tmp. ``seed_kernel_cache`` copies the seed there once,
before numba is imported; a Job then never compiles (seconds). Outside the image no seed is
named and nothing happens (numba caches beside the sources).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from config import process


def seed_kernel_cache() -> None:
    """Copy ``NUMBA_CACHE_SEED``'s tree into ``NUMBA_CACHE_DIR`` unless it is there already;
    any failure leaves numba to compile (correct, only slower)."""
    seed, target = process.NUMBA_CACHE_SEED.value(), process.NUMBA_CACHE_DIR.value()
    if not seed or not target or Path(target).exists() or not Path(seed).is_dir():
        return
    try:
        shutil.copytree(seed, target)
    except OSError:
        return
