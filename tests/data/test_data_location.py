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


def test_the_user_data_dir_defaults_to_var_which_git_ignores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unset, USER_DATA_DIR is the checkout's var/, and git ignores what is written there,
    so a user's imports, state files and outputs never show in git status."""
    import subprocess

    from data.location import DATA_DIR_ENV, DEFAULT_USER_DATA_DIR, USER_DATA_DIR_ENV, user_data_dir

    monkeypatch.delenv(USER_DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)  # the session points it at a copy
    assert user_data_dir() == DEFAULT_USER_DATA_DIR == data_dir().parent / "var"
    probe = DEFAULT_USER_DATA_DIR / "data" / "catalog.json"
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", str(probe)], cwd=data_dir().parent
    )
    assert ignored.returncode == 0


def test_user_path_creates_its_area(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """user_path("bulk", name) is <USER_DATA_DIR>/bulk/name, the folder created."""
    from data.location import user_path

    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path / "home"))
    assert user_path("bulk", "x.jsonl") == tmp_path.resolve() / "home" / "bulk" / "x.jsonl"
    assert (tmp_path / "home" / "bulk").is_dir()
