"""A child process whose numpy runs only its baseline loops: every vector target this CPU
has (AVX2, AVX-512…) switched off with ``NPY_DISABLE_CPU_FEATURES``, as numpy runs on a CPU
without them, and whose OpenBLAS runs its Haswell kernels (those of a CPU without AVX-512)
where the CPU has AVX2 and FMA. Tests that a stored figure is the same bits on every
machine run its code in such a child and in one with every loop on, and compare what each
prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def printed_in_child(source: str, args: list[str] | None = None, baseline: bool = False) -> str:
    """What ``source`` (run with ``python -c`` in the project root, given ``args``) prints,
    its numpy on its baseline loops (``baseline``) or on its fastest."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    from config.numerics import blas_kernels

    targets = " ".join(t for t in __cpu_dispatch__ if __cpu_features__.get(t))
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env["OPENBLAS_NUM_THREADS"] = "1"  # as a Job and the sandbox: a solve's bits follow it too
    env["NPY_DISABLE_CPU_FEATURES"] = targets if baseline else ""
    if baseline:
        env.update(blas_kernels())
    return subprocess.run(
        [sys.executable, "-c", source, *(args or [])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    ).stdout
