"""The demo data the tests read: a copy of the files git tracks in the checkout's ``data/``
(the CSV files and ``catalog.json``; not the package's Python modules), so a file a user
put into that folder (an imported or downloaded ticker, an edited catalog entry that is not
committed) never reaches a test. ``tests.conftest.demo_data_dir`` makes the copy once a
session and points DATA_DIR at it; tests take that fixture, never the folder itself
(``tests/test_suite_isolation.py`` checks both).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from data.location import PACKAGE_DIR

PROJECT_ROOT = PACKAGE_DIR.parent


def tracked_data_files() -> list[Path]:
    """The data files git tracks in ``data/``, relative to it (its modules left out)."""
    listed = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "-z", "--", PACKAGE_DIR.name],
        check=True,
        capture_output=True,
    ).stdout.decode()
    files = [Path(name).relative_to(PACKAGE_DIR.name) for name in listed.split("\0") if name]
    return sorted(path for path in files if path.suffix != ".py")


def copy_demo_data(folder: Path) -> Path:
    """Copy ``tracked_data_files`` into ``folder`` (made if missing); return it."""
    for relative in tracked_data_files():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PACKAGE_DIR / relative, target)
    return folder
