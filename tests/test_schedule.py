"""The parallel run's file order (``tests.schedule``): the slowest files first, each file's
tests in their order, and every file named still exists."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.schedule import SLOWEST_FILES, slowest_first

ROOT = Path(__file__).resolve().parents[1]


def test_the_slowest_files_go_first_and_each_file_keeps_its_order():
    names = ["tests/a/test_x.py", SLOWEST_FILES[1], "tests/b/test_y.py", SLOWEST_FILES[0]]
    items = [SimpleNamespace(path=ROOT / name, n=n) for name in names for n in range(3)]
    slowest_first(items, ROOT)
    order = [(item.path.relative_to(ROOT).as_posix(), item.n) for item in items]
    assert order == [
        (name, n) for name in [SLOWEST_FILES[0], SLOWEST_FILES[1], *names[::2]] for n in range(3)
    ]


def test_every_file_named_as_slowest_exists():
    assert [name for name in SLOWEST_FILES if not (ROOT / name).is_file()] == []
    assert len(set(SLOWEST_FILES)) == len(SLOWEST_FILES)
