"""The shared machinery (work/, consumer/, config/, store/ and the web's top-level helpers)
names no particular kind of work: it reaches kinds through ``kinds.registry`` only, so a new
kind is its package plus a registry line (docs/work-kinds.md). The models, the migrations and
the registry itself are where kinds are named on purpose."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

SHARED = ("work", "consumer", "config", "store", "web")
"""Packages of the shared machinery (``web/api`` and ``web/pages`` hold kinds' own views)."""

EXEMPT = ("store/models.py", "store/migrate.py", "store/migrations/", "web/api/", "web/pages/")
"""Where naming a kind's tables is the point: the models and the migrations."""

STILL_NAMING: set[str] = set()
"""Modules that still name a kind: none any more (issue 22); a module that names one fails."""

KIND_WORDS = re.compile(r"sweep|chunk|walk_?-?forward|\bfolds?\b|backtest_results", re.I)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        for statement in body if isinstance(body, list) else []:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                found.add(id(statement.value))
    return found


def names_a_kind(path: Path) -> list[str]:
    """What in ``path``'s code (docstrings and comments aside) names a particular kind: an
    import of a kind's package, or a name or string about sweeps, chunks, walk-forwards,
    folds or the runs' table."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings, found = _docstrings(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
            found += [
                m for m in modules if (m or "").startswith("kinds.") and m != "kinds.registry"
            ]
        elif isinstance(node, ast.Name) and KIND_WORDS.search(node.id):
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and KIND_WORDS.search(node.attr):
            found.append(node.attr)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and KIND_WORDS.search(node.value)
        ):
            found.append(node.value)
    return found


def shared_modules() -> list[Path]:
    return [
        path
        for package in SHARED
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        if not path.relative_to(PROJECT_ROOT).as_posix().startswith(EXEMPT)
    ]


def test_no_shared_machinery_module_names_a_kind_beyond_the_known_few():
    """Shared modules that name a kind: 19 before the registry owned the kinds' facts; only
    the few still listed remain, and a fixed one must leave the list."""
    naming = {
        path.relative_to(PROJECT_ROOT).as_posix(): names_a_kind(path) for path in shared_modules()
    }
    naming = {module: words for module, words in naming.items() if words}
    assert set(naming) == STILL_NAMING, naming


def test_the_check_sees_a_module_that_imports_a_kind(tmp_path):
    """The detector is not blind: an import of a kind and a sweep name are both found."""
    module = tmp_path / "example.py"
    module.write_text(
        '"""Sweeps are fine in a docstring."""\nfrom kinds.runs.kind import RUN\nqueue = "sweeps"\n'
    )
    assert names_a_kind(module) == ["kinds.runs.kind", "sweeps"]
