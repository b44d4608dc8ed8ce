"""Tests for data.import_csv: the command copies a checked file and registers it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from data.catalog import load_catalog
from data.dataset import load_range
from data.import_csv import import_file, main
from tests.bars import GOOG_CSV as GOOG

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_import_copies_the_file_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GOOG.csv is copied byte for byte; the run's data_hash is the user's file's hash."""
    status = main(
        [str(GOOG), "--ticker", "goog", "--name", "Alphabet", "--data-dir", str(tmp_path)]
    )
    assert status == 0
    stored = tmp_path / "GOOG.csv"
    assert stored.read_bytes() == GOOG.read_bytes()
    info = load_catalog(tmp_path).info("GOOG")
    assert (info.name, info.file, info.synthetic) == ("Alphabet", "GOOG.csv", False)
    assert info.description == "Imported from GOOG.csv"
    loaded = load_range("GOOG", date(2004, 8, 19), date(2013, 3, 1), data_dir=tmp_path)
    assert loaded.data_hash == hashlib.sha256(GOOG.read_bytes()).hexdigest()
    assert len(loaded.bars) == 2148
    out = capsys.readouterr().out
    assert out.startswith("imported GOOG: 2148 bars 2004-08-19 .. 2013-03-01")


def test_bad_file_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file failing a check exits 2 with the line number, and nothing is written."""
    source = tmp_path / "in.csv"
    source.write_text(
        "Date,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11,5\n2024-01-03,10,9,9,11,5\n"
    )
    target = tmp_path / "store"
    assert main([str(source), "--ticker", "XYZ", "--data-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert "line 3: High 9 is below max(Open, Close) = 11" in err
    assert not target.exists()


@pytest.mark.parametrize("ticker", ["../x", "A B"])
def test_invalid_ticker_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ticker: str
) -> None:
    """An invalid ticker exits 2 with the ticker rule."""
    assert main([str(GOOG), "--ticker", ticker, "--data-dir", str(tmp_path)]) == 2
    assert "invalid ticker" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that does not exist exits 2 with the OS message."""
    assert main([str(tmp_path / "nope.csv"), "--ticker", "XYZ", "--data-dir", str(tmp_path)]) == 2
    assert "No such file" in capsys.readouterr().err


def test_without_data_dir_the_file_goes_to_the_user_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --data-dir the file and its entry go to $USER_DATA_DIR/data; the shipped
    catalog is not written, and the loaded catalog holds both."""
    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path / "home"))
    shipped = (PROJECT_ROOT / "data" / "catalog.json").read_bytes()
    registered = import_file(GOOG, "GOOG")
    assert registered.path == tmp_path.resolve() / "home" / "data" / "GOOG.csv"
    assert (PROJECT_ROOT / "data" / "catalog.json").read_bytes() == shipped
    catalog = load_catalog()
    assert "GOOG" in catalog and "ACME" in catalog
    assert catalog.resolve("GOOG") == registered.path
    loaded = load_range("GOOG", date(2004, 8, 19), date(2013, 3, 1))
    assert loaded.data_hash == registered.data_hash


def test_a_shipped_ticker_cannot_be_imported_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ACME is demo data: importing a file as ACME is refused (exit 2), nothing written."""
    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path))
    assert main([str(GOOG), "--ticker", "ACME"]) == 2
    assert "ACME is a ticker of the shipped data" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_importing_leaves_the_checkout_clean(tmp_path: Path) -> None:
    """`python -m data.import_csv FILE --ticker X` as the docs show it changes nothing git
    tracks or sees (git status --porcelain is the same before and after)."""
    before = git_status()
    env = {**os.environ, "USER_DATA_DIR": str(tmp_path)}
    env.pop("DATA_DIR", None)
    result = subprocess.run(
        [sys.executable, "-m", "data.import_csv", str(GOOG), "--ticker", "GOOG"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "GOOG.csv").is_file()
    assert git_status() == before


def git_status() -> str:
    """``git status --porcelain`` of the checkout (untracked files included)."""
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.slow
def test_module_runs_as_a_command(tmp_path: Path) -> None:
    """`python -m data.import_csv` works with warnings as errors and exits 0."""
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "data.import_csv",
            str(GOOG),
            "--ticker",
            "GOOG",
            "--data-dir",
            str(tmp_path),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "GOOG.csv").read_bytes() == GOOG.read_bytes()
