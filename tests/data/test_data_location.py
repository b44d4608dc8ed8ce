"""Tests for data.location: DATA_DIR selects the data directory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import data
from data.location import DATA_DIR_ENV, data_dir


def test_default_is_the_data_package_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without DATA_DIR the data directory is the folder of the data package."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert data_dir() == Path(data.__file__).resolve().parent


def test_empty_data_dir_env_means_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty DATA_DIR is treated as unset."""
    monkeypatch.setenv(DATA_DIR_ENV, "  ")
    assert data_dir() == Path(data.__file__).resolve().parent


def test_data_dir_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """DATA_DIR names the data directory, read at call time."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert data_dir() == tmp_path.resolve()


def test_relative_data_dir_becomes_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A relative DATA_DIR is resolved against the working directory."""
    (tmp_path / "market").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATA_DIR_ENV, "market")
    assert data_dir() == (tmp_path / "market").resolve()
    assert data_dir().is_absolute()


def test_catalog_and_range_follow_data_dir_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """load_catalog and load_range without data_dir read the directory named by DATA_DIR."""
    (tmp_path / "ONE.csv").write_text(
        "Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n"
    )
    (tmp_path / "catalog.json").write_text(
        '{"ONE": {"file": "ONE.csv", "name": "One", "synthetic": false}}'
    )
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert [info.ticker for info in data.load_catalog().tickers()] == ["ONE"]
    loaded = data.load_range("ONE", date(2024, 1, 1), date(2024, 1, 31))
    assert loaded.path == (tmp_path / "ONE.csv").resolve()
    assert loaded.bars.close.tolist() == [10.5]
