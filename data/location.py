"""Where the data lives: the shipped data (``DATA_DIR``, else this package's folder, read
only) and a user's own data directory (``USER_DATA_DIR``, else ``var/`` beside the
package, which git ignores).

The user data directory holds everything a user's commands write, so a checkout stays
clean and a ``git pull`` never meets a user's file: ``data/`` (imported CSVs and their
``catalog.json``, overlaid on the shipped catalog by ``data.catalog.load_catalog``),
``bulk/`` (the bulk commands' state files) and ``demo/`` (the demos' outputs).
"""

from __future__ import annotations

from pathlib import Path

from config import process

DATA_DIR_ENV = process.DATA_DIR.name
"""Environment variable naming the data directory (CSV files and catalog.json)."""

USER_DATA_DIR_ENV = process.USER_DATA_DIR.name
"""Environment variable naming the user data directory."""

PACKAGE_DIR = Path(__file__).resolve().parent
"""The default data directory: the ``data/`` package folder, which ships the demo data."""

DEFAULT_USER_DATA_DIR = PACKAGE_DIR.parent / "var"
"""The default user data directory: ``var/`` of the checkout (ignored by git), beside the
local stack's SQLite file and embedded Redis, so one folder holds a user's state."""


def data_dir() -> Path:
    """The data directory as an absolute path: ``$DATA_DIR`` if set and non-empty, else
    the ``data/`` package folder. Read on every call, so tests can change the env."""
    value = process.DATA_DIR.value()
    return Path(value).expanduser().resolve() if value else PACKAGE_DIR


def user_data_dir() -> Path:
    """The user data directory as an absolute path: ``$USER_DATA_DIR`` if set and
    non-empty, else ``var/`` of the checkout. Read on every call; not created here."""
    value = process.USER_DATA_DIR.value()
    return Path(value).expanduser().resolve() if value else DEFAULT_USER_DATA_DIR


def user_path(area: str, name: str = "") -> Path:
    """``<user data dir>/<area>[/<name>]`` with its folder created: where a command writes
    a user's file (``user_path("bulk", "x.state.jsonl")``, ``user_path("data")``)."""
    folder = user_data_dir() / area
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name if name else folder
