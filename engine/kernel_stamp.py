"""What keeps numba's cached kernels current and few. The guard that keeps them in step
with the broker's sources: numba keys a cached kernel by its own file only, while the
kernels (``engine._kernel``, ``engine.broker.step``, ``engine.broker.curves``) compile in
the broker's functions (``engine.broker``); each kernel module calls ``forget_stale`` when
it is imported. And the one array type they are compiled for (``kernel_array``), which
every caller hands them. It imports no other module of the engine, so the kernels depend
on it and on nothing that leads back to them.
"""

from __future__ import annotations

import numpy as np

_SOURCES = (
    "broker/by_type.py",
    "broker/inlining.py",
    "broker/costs.py",
    "broker/impact.py",
    "broker/orders.py",
    "broker/program.py",
    "broker/stops.py",
    "broker/jitted.py",
    "broker/rebind.py",
    "corporate.py",
    "param_specs.py",
    "result.py",
    "broker/step.py",
    "_kernel.py",
    "_liquidity_kernel.py",
    "_pairwise.py",
    "_spread.py",
    "_prefetch.py",
)
"""The files whose functions and constants the kernels compile in from outside their own
module: every engine module a kernel module imports, and what those import, at module
level (tests/engine/test_engine_compiled.py derives that set from the sources and fails
when one is missing here)."""


def forget_stale(module: str, namespace: dict) -> None:
    """Forget the cached machine code of ``module``'s kernels (``namespace``: its globals)
    when the broker's sources changed since it was written. numba keys a cached kernel by
    its own file only, not by the broker functions it compiles in (``engine.broker``):
    without this, a changed order rule would run its old code from a warm cache. A stamp
    of those sources beside the cache says what the cache was built from; an image warms
    its cache from its own sources (``engine.compiled.warm``), so a read-only cache always
    matches."""
    import hashlib
    from pathlib import Path

    from numba.core.dispatcher import Dispatcher

    here = Path(__file__).parent
    digest = hashlib.sha256(b"".join((here / name).read_bytes() for name in _SOURCES))
    stamp = digest.hexdigest()
    kernels = [
        value
        for value in namespace.values()
        if isinstance(value, Dispatcher) and value.py_func.__module__ == module
    ]
    if not kernels or not hasattr(kernels[0]._cache, "cache_path"):
        return
    path = Path(kernels[0]._cache.cache_path) / f"{module}.broker-stamp"
    try:
        if path.read_text() == stamp:
            return
    except OSError:
        pass
    try:
        for kernel in kernels:
            kernel._cache.flush()
        path.write_text(stamp)
    except OSError:  # a read-only cache: the image's, built from these very sources
        pass


def kernel_array(values: object, dtype: type = np.float64) -> np.ndarray:
    """``values`` as the one array type the kernels are compiled for
    (``engine.compiled.warm``): C order, ``dtype``, writable. A read-only array (pandas'
    copy-on-write columns, a file's buffer) is copied: numba types it apart, so a call with
    one would compile a variant of the kernel, tens of CPU-seconds in a Job, whose copy of
    the cache is thrown away."""
    return np.require(values, dtype=dtype, requirements=("C", "W"))
