"""The project's modules import each other without cycles — lazy imports inside functions and
package ``__init__`` re-exports included (a module imports its siblings directly), type-only
imports (``if TYPE_CHECKING:``) aside. import-linter checks the packages' layers; this checks
every module, with the graph import-linter itself builds (grimp)."""

from __future__ import annotations

import sys

import grimp
import pytest

from tests.docs.test_docs import ROOT


def _root_packages() -> list[str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["root_packages"]


def cycles(graph) -> list[list[str]]:
    """The groups of modules that import each other in a circle (Tarjan's strongly
    connected components of more than one module, or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in graph.find_modules_directly_imported_by(module):
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


@pytest.fixture(scope="module")
def graph():
    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph(
            *_root_packages(), include_external_packages=False, exclude_type_checking_imports=True
        )
    finally:
        sys.path.remove(str(ROOT))


def test_no_module_of_the_project_is_part_of_an_import_cycle(graph):
    """No two modules import each other, however indirectly and however late."""
    assert cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle():
    """The check is not blind: a → b → c → a is one cycle, d stands alone."""
    fake = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")):
        fake.add_import(importer=importer, imported=imported)
    assert cycles(fake) == [["a", "b", "c"]]
