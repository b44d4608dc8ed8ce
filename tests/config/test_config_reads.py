"""The environment is read in ``config`` only: no project module outside it, the tests, the
benchmarks, the ``__main__`` entry points and the separately installed ``backtest_client``
reads ``os.environ`` or calls ``getenv``; copying the whole environment for a child process
(``dict(os.environ, …)``, ``{**os.environ, …}``) is not a read."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.docs.test_docs import ROOT, project_modules

EXEMPT_DIRS = {"config", "bench", "backtest_client"}
"""Top-level folders allowed to read the environment (config is the reader; the benchmarks
and the notebook client stand apart from the platform)."""


def _imported_from_os(tree: ast.AST) -> set[str]:
    """The local names of ``from os import environ`` / ``getenv`` (``as`` names too)."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "os"
        for alias in node.names
        if alias.name in ("environ", "getenv")
    }


def _is_environment(node: ast.AST, imported: set[str]) -> bool:
    """``os.environ``, ``os.getenv`` or a name imported as one of them from ``os``."""
    if isinstance(node, ast.Attribute):
        return node.attr in ("environ", "getenv") and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id in imported


def _is_whole_copy(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """``node`` (the environment) is copied whole: an argument of ``dict(…)`` or a ``**`` of
    a dict display, possibly through ``a if c else node`` / ``a or node``."""
    child, parent = node, parents.get(node)
    while isinstance(parent, ast.IfExp | ast.BoolOp) and child is not getattr(parent, "test", 0):
        child, parent = parent, parents.get(parent)
    if isinstance(parent, ast.Call):
        named_dict = isinstance(parent.func, ast.Name) and parent.func.id == "dict"
        return named_dict and child in parent.args
    if isinstance(parent, ast.Dict):
        return any(
            key is None and value is child
            for key, value in zip(parent.keys, parent.values, strict=True)
        )
    return False


def environment_reads(source: str) -> list[int]:
    """The line of every use of the environment in ``source`` that is not a whole copy."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    imported = _imported_from_os(tree)
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if _is_environment(node, imported) and not _is_whole_copy(node, parents)
    )


def checked_modules() -> list[Path]:
    """The project's modules that must not read the environment."""
    return [
        path
        for path in project_modules()
        if path.relative_to(ROOT).parts[0] not in EXEMPT_DIRS and path.name != "__main__.py"
    ]


def test_no_module_outside_config_and_the_entry_points_reads_the_environment() -> None:
    """Every setting is read through config (config.process or config.Settings)."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in checked_modules()
        for line in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert len(checked_modules()) > 100
    assert found == []


def test_the_scan_finds_every_shape_of_read_and_lets_a_whole_copy_pass() -> None:
    """get, getenv, subscripts, membership and a mapping chosen at run time are reads;
    ``dict(os.environ, X=…)``, ``dict(env or os.environ)`` and ``{**os.environ}`` are not."""
    reads = [
        'os.environ.get("A")',
        'os.getenv("A")',
        'os.environ["A"]',
        '"A" in os.environ',
        '(env if env is not None else os.environ).get("A")',
        "def f(environ=os.environ): pass",
        'from os import getenv\ngetenv("A")',
        'from os import environ as e\ne["A"]',
    ]
    for source in reads:
        assert environment_reads(source), source
    copies = [
        'dict(os.environ, CONSUMER_QUEUE="q")',
        "dict(env if env is not None else os.environ)",
        '{**os.environ, "A": "1"}',
        "dict(os.environ)",
        'def f(environ): return environ.get("A")',
    ]
    for source in copies:
        assert environment_reads(source) == [], source
