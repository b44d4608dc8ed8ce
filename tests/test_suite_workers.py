"""``scripts/test.sh`` runs two pytest-xdist workers per core (docs/testing.md, "Parallel
files") in the environment it makes for the suite, where numpy's math is held to one thread:
``nproc`` also honours ``OMP_NUM_THREADS``, so counted in that environment the cores were one
and the suite ran on two workers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "test.sh"


def _workers_line() -> str:
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    found = [line for line in lines if line.startswith("workers=")]
    assert len(found) == 1, found
    exported = next(i for i, line in enumerate(lines) if line.startswith("export OMP_NUM_THREADS"))
    assert exported < lines.index(found[0])  # counted where numpy's one thread is exported
    return found[0]


def test_the_suite_runs_two_workers_a_core_with_one_math_thread_exported():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}
    counted = subprocess.run(
        ["bash", "-c", f'{_workers_line()}\necho "$workers"'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert int(counted) == 2 * len(os.sched_getaffinity(0))
