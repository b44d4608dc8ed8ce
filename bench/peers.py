"""Where the peer engines live: the interpreter that has vectorbt (not in the test venv).

vectorbt is installed into ``.venv-bench`` from ``requirements-bench.txt`` (scripts/test.sh
does it, so the portfolio parity test always has it); VECTORBT_PYTHON names another
interpreter. Shared by the benchmarks and the parity tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def vectorbt_python() -> str | None:
    """The interpreter that has vectorbt: VECTORBT_PYTHON, .venv-bench, or this one."""
    candidates = [
        os.environ.get("VECTORBT_PYTHON"),
        str(PROJECT_ROOT / ".venv-bench/bin/python"),
        sys.executable,
    ]
    for python in candidates:
        if python and Path(python).exists():
            probe = subprocess.run([python, "-c", "import vectorbt"], capture_output=True)
            if probe.returncode == 0:
                return python
    return None
