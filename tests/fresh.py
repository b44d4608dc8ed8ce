"""What a fresh interpreter loads: start-up time is part of every Job and one-shot run, so
several tests pin which heavy modules an import or a call leaves unloaded."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable

from tests.stack import PROJECT_ROOT


def loaded_by(statement: str, modules: Iterable[str], *args: str) -> list[str]:
    """Run ``statement`` in a new interpreter (warnings as errors, the project's root as its
    working directory, ``args`` as ``sys.argv[1:]``) and return which of ``modules`` it left
    loaded, in the order given. A failing statement fails the test with its stderr."""
    wanted = list(modules)
    report = f"print(json.dumps([m for m in {wanted!r} if m in sys.modules]))"
    code = f"import sys, json\n{statement}\n{report}"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
