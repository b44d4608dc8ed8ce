"""rules (package): the public surface and a light import."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from tests.fresh import loaded_by

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
    assert loaded_by("import rules", ["pandas", "scipy", "matplotlib", "engine"]) == []
