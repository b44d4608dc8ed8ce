"""Tests for the data package surface: exports, and a cheap import without pandas."""

from __future__ import annotations

from pathlib import Path

import pytest

import data
from tests.fresh import loaded_by

PROJECT_ROOT = Path(data.__file__).resolve().parents[1]


def test_all_names_are_exported() -> None:
    """Every name in __all__ exists, and the key entry points are in it."""
    for name in data.__all__:
        assert hasattr(data, name), name
    expected = {
        "data_dir",
        "load_catalog",
        "load_bars",
        "load_range",
        "file_sha256",
        "Catalog",
        "TickerInfo",
        "LoadedData",
        "UnknownTickerError",
        "DataQualityError",
        "EmptyRangeError",
    }
    assert expected <= set(data.__all__)


@pytest.mark.slow
def test_import_data_is_cheap_and_pandas_free() -> None:
    """`import data` in a fresh interpreter imports neither pandas nor the commands."""
    heavy = ["pandas", "yfinance", "data.generate", "data.download", "data.import_csv"]
    assert loaded_by("import data", heavy) == []
