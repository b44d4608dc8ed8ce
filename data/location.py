"""Where the data lives: the ``DATA_DIR`` environment variable, else this package's folder."""

from __future__ import annotations

from pathlib import Path

from config import process

DATA_DIR_ENV = process.DATA_DIR.name
"""Environment variable naming the data directory (CSV files and catalog.json)."""

PACKAGE_DIR = Path(__file__).resolve().parent
"""The default data directory: the ``data/`` package folder, which ships the demo data."""


def data_dir() -> Path:
    """The data directory as an absolute path: ``$DATA_DIR`` if set and non-empty, else
    the ``data/`` package folder. Read on every call, so tests can change the env."""
    value = process.DATA_DIR.value()
    return Path(value).expanduser().resolve() if value else PACKAGE_DIR
