"""requirements.txt holds every third-party package the shipped code imports: the README's
run command (and the image) install requirements.txt alone, so a package only in
requirements-dev.txt breaks a fresh set-up (``requests`` did, for the bulk script and the
demo)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.stack import PROJECT_ROOT

SHIPPED = (
    "adapters",
    "backtest_client",
    "config",
    "consumer",
    "data",
    "engine",
    "kinds",
    "metrics",
    "rules",
    "scripts",
    "store",
    "web",
    "work",
)
"""The packages a user runs (tests/ and bench/ run on requirements-dev.txt)."""

OPTIONAL = {"yfinance", "pandas"}
"""Imported only by commands that say how to install them when missing (data.download's
yfinance; pandas only inside ``Bars.from_dataframe``, for callers who have it, and inside
``backtest_client.frames``, on first use of a frame: the bulk script never asks for one, and
``pip install ./backtest_client`` brings pandas for notebooks)."""


def _imported_top_levels() -> dict[str, str]:
    """Every absolute import's top-level name → one file importing it."""
    found: dict[str, str] = {}
    for package in SHIPPED:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(PROJECT_ROOT)))
    return found


def _pinned(requirements: Path) -> set[str]:
    names = set()
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==", line.strip())
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def test_every_third_party_import_of_the_shipped_code_is_in_requirements_txt():
    local = {path.name for path in PROJECT_ROOT.iterdir() if path.is_dir()}
    distributions = packages_distributions()
    pinned = _pinned(PROJECT_ROOT / "requirements.txt")
    missing = []
    for name, where in sorted(_imported_top_levels().items()):
        if name in local or name in sys.stdlib_module_names or name in OPTIONAL:
            continue
        owners = {d.lower().replace("_", "-") for d in distributions.get(name, [name])}
        if not owners & pinned:
            missing.append(f"{name} ({where}; distribution {sorted(owners)})")
    assert missing == [], "imported by shipped code but not in requirements.txt"
