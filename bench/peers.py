"""Where the peer engines live (the interpreters that have vectorbt and zipline, not in the
test venv; backtesting.py's GOOG.csv), how a benchmark measures a child process, and how it
readies its own to time the engine.

vectorbt is installed into ``.venv-bench`` from ``requirements-bench.txt``, zipline-reloaded
into ``.venv-zipline`` from ``requirements-zipline.txt`` (scripts/test.sh does both, so the
parity tests always have them); VECTORBT_PYTHON and ZIPLINE_PYTHON name other interpreters.
Shared by the benchmarks and the parity tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def time_in_process() -> None:
    """Ready this process to time the project's engine in it: this checkout first on the
    import path, and numpy quiet about the NaNs of indicator warm-ups."""
    import numpy as np

    sys.path.insert(0, str(PROJECT_ROOT))
    np.seterr(all="ignore")


def goog_csv() -> Path:
    """backtesting.py's bundled GOOG.csv (real daily data, 2004-08-19 .. 2013-03-01), found
    without importing backtesting.py: its pandas and bokeh would count in the peak RSS of a
    process that measures ours."""
    from importlib.util import find_spec

    spec = find_spec("backtesting")
    if spec is None or spec.origin is None:
        raise RuntimeError("backtesting.py is not installed (requirements-dev.txt)")
    return Path(spec.origin).parent / "test" / "GOOG.csv"


def _python_with(module: str, candidates: list[str | None]) -> str | None:
    """The first of ``candidates`` (interpreters) that imports ``module``."""
    for python in candidates:
        if python and Path(python).exists():
            probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
            if probe.returncode == 0:
                return python
    return None


def vectorbt_python() -> str | None:
    """The interpreter that has vectorbt: VECTORBT_PYTHON, .venv-bench, or this one."""
    return _python_with(
        "vectorbt",
        [
            os.environ.get("VECTORBT_PYTHON"),
            str(PROJECT_ROOT / ".venv-bench/bin/python"),
            sys.executable,
        ],
    )


def zipline_python() -> str | None:
    """The interpreter that has zipline-reloaded (the volume-share slippage parity test's
    peer, requirements-zipline.txt): ZIPLINE_PYTHON, or .venv-zipline."""
    venv = str(PROJECT_ROOT / ".venv-zipline/bin/python")
    return _python_with("zipline", [os.environ.get("ZIPLINE_PYTHON"), venv])


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[dict, float]:
    """Run a child (with ``env`` added to this process's environment) that prints one JSON
    line; its output and peak RSS in MB (wait4)."""
    environ = {**os.environ, **env} if env else None
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, cwd=PROJECT_ROOT, text=True, env=environ
    )
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {process.returncode}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def compile_like_the_image() -> None:
    """Compile the project's packages to bytecode as the image does (``python -m compileall``
    in the Dockerfile): a Job there loads ``.pyc`` files, while on a machine that sets
    PYTHONDONTWRITEBYTECODE every process here would compile each module it imports again,
    a cost that grows with the code and that no Job pays. compileall writes the ``.pyc``
    files whatever that variable says; ``__pycache__`` is ignored by git."""
    packages = sorted(
        path.name for path in PROJECT_ROOT.iterdir() if (path / "__init__.py").is_file()
    )
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *packages], cwd=PROJECT_ROOT, check=True
    )
