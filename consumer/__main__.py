"""``python -m consumer``: take at most one run from the queue, record it, exit.

A Job's CPU is the price of a run on a cluster, so this entry point keeps it small: numpy's
math libraries on one thread (``use_one_math_thread``) and numpy's loops and OpenBLAS's
kernels the same on every node (``use_same_numerics``), numba's kernels on the Job's CPU
share (``use_job_threads``), the queue checked before the worker
is imported (``consumer.idle``), no SQLAlchemy (``store.dbapi``), no garbage collection
over the start-up's imports (``main``), and no interpreter finalisation at exit
(``exit_at_once``).

``python -m consumer --request FILE`` executes a request file instead (no Redis, no
database) and prints the result JSON. Heavy modules are imported only by the mode that
needs them: start-up time is part of every run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import MutableMapping

ONE_MATH_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""A backtest is element-wise numpy and never calls BLAS, yet numpy's OpenBLAS starts a
thread per core when it is imported: about 0.07 CPU-s of a Job's 0.4 (``bench.job_cost_bench``)
for nothing. A Job therefore runs numpy's math libraries on one thread (an operator's own
setting of these variables wins)."""


def use_same_numerics(
    environ: MutableMapping[str, str] = os.environ, cpuinfo: str = "/proc/cpuinfo"
) -> None:
    """numpy without its AVX-512 loops and OpenBLAS on its Haswell kernels whatever the
    node's CPU (``config.numerics``), where ``environ`` has no setting and the CPU
    (``cpuinfo``'s flags) has AVX2 and FMA; before numpy is imported. Their picks for an
    AVX-512 CPU round differently (a portfolio's risk weights, a study's sampler, any
    ``exp`` or ``log`` moved in the last bits), so a Job's numbers depended on its node."""
    from config.numerics import same_numerics

    for name, value in same_numerics(cpuinfo).items():
        environ.setdefault(name, value)


def use_one_math_thread(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set ``ONE_MATH_THREAD`` where ``environ`` has no value; before numpy is imported."""
    for name, value in ONE_MATH_THREAD.items():
        environ.setdefault(name, value)


def use_job_threads(environ: MutableMapping[str, str] = os.environ) -> int:
    """numba's parallel kernels on the Job's CPU share (``config.process.numba_threads``: a
    Job granted one core runs them on one thread, not one per core of its node, whose
    waiting threads cost CPU): NUMBA_NUM_THREADS where ``environ`` has no value, before
    numba is imported; numba's ``set_num_threads`` when it is imported already. The
    threads, returned."""
    from config import process

    threads = process.numba_threads(environ)
    environ.setdefault(process.NUMBA_NUM_THREADS.name, str(threads))
    numba = sys.modules.get("numba")
    if numba is not None:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return threads


def collect_from_here() -> None:
    """End the start-up's pause of the cyclic garbage collector (``main``), leaving out every
    object made so far: ``gc.freeze`` keeps later collections from walking the imports
    again, and lets a forked work-horse share their pages instead of copying them, as
    CPython's documentation advises before ``fork``."""
    gc.freeze()
    gc.enable()


def main(argv: list[str] | None = None) -> int:
    """Run the consumer. Python's cyclic garbage collector pauses while the process imports
    what it runs (``collect_from_here`` resumes it): start-up creates objects that live as
    long as the process (modules, classes, functions), yet the collector would walk them
    again and again as they pile up, about 3 % of a Job's instructions
    (``bench.job_cost_bench``)."""
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    use_one_math_thread()
    use_same_numerics()
    use_job_threads()
    parser = argparse.ArgumentParser(prog="python -m consumer", description=__doc__)
    parser.add_argument(
        "--request",
        metavar="FILE",
        help="execute this request JSON file ('-' for stdin) and print the result",
    )
    args = parser.parse_args(argv)

    from consumer.kernel_cache import seed_kernel_cache
    from work.logs import configure_logging

    configure_logging()
    if args.request is not None:
        seed_kernel_cache()  # before a large run imports numba
        from consumer.oneshot import run_request_file

        collect_from_here()
        return run_request_file(args.request)
    from consumer.idle import nothing_queued
    from work.connection import redis_connection

    connection = redis_connection()
    if nothing_queued(connection):  # before the worker's imports: an over-started Job is cheap
        return 0
    seed_kernel_cache()  # before a large run or sweep imports numba
    from consumer.worker import consume_one

    collect_from_here()
    return consume_one(connection)


def exit_at_once(code: int) -> None:
    """End the process with ``code`` after flushing the logs and standard streams, skipping
    Python's finalisation.

    Everything a Job does is durable before ``main`` returns (its database transactions are
    committed, its Redis writes acknowledged, its result printed), and freeing every module
    it loaded (numpy, RQ, redis, the engine…) costs ~0.05 CPU-s, as much as the backtest
    itself (``bench.job_cost_bench``). RQ's work-horse ends the same way (``os._exit``).
    """
    import contextlib
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken: nothing to flush
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_at_once(main())
