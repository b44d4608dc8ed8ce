"""rules (package): the public surface and a light import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import rules

ROOT = Path(__file__).resolve().parents[2]


def test_all_names_exist_and_are_public():
    """Every name in __all__ is importable from the package; none is private."""
    for name in rules.__all__:
        assert getattr(rules, name) is not None
        assert not name.startswith("_")
    for name in ("validate_rule", "generate_signals_batch", "cross_above", "vwap", "RULES"):
        assert name in rules.__all__


@pytest.mark.slow
def test_import_needs_only_numpy():
    """`import rules` pulls in neither pandas, scipy, matplotlib nor the engine."""
    code = (
        "import sys, rules; "
        "print(sorted(m for m in ('pandas', 'scipy', 'matplotlib', 'engine') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
