"""``python -m consumer``: take at most one run from the queue, record it, exit.

A Job's CPU is the price of a run on a cluster, so this entry point keeps it small: numpy's
math libraries on one thread (``use_one_math_thread``), the queue checked before the worker
is imported (``consumer.idle``), no SQLAlchemy (``store.dbapi``), and no interpreter
finalisation at exit (``exit_at_once``).

``python -m consumer --request FILE`` executes a request file instead (no Redis, no
database) and prints the result JSON. Heavy modules are imported only by the mode that
needs them: start-up time is part of every run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import MutableMapping

ONE_MATH_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""A backtest is element-wise numpy and never calls BLAS, yet numpy's OpenBLAS starts a
thread per core when it is imported: about 0.07 CPU-s of a Job's 0.4 (``bench.job_cost_bench``)
for nothing. A Job therefore runs numpy's math libraries on one thread (an operator's own
setting of these variables wins)."""


def use_one_math_thread(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set ``ONE_MATH_THREAD`` where ``environ`` has no value; before numpy is imported."""
    for name, value in ONE_MATH_THREAD.items():
        environ.setdefault(name, value)


def main(argv: list[str] | None = None) -> int:
    use_one_math_thread()
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

        return run_request_file(args.request)
    from consumer.idle import nothing_queued
    from work.connection import redis_connection

    connection = redis_connection()
    if nothing_queued(connection):  # before the worker's imports: an over-started Job is cheap
        return 0
    seed_kernel_cache()  # before a large run or sweep imports numba
    from consumer.worker import consume_one

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
