"""Tests for data.files: file hashing and atomic writes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from data.files import atomic_write, bytes_sha256, file_sha256


def test_file_sha256_is_hashlib_of_the_bytes(tmp_path: Path) -> None:
    """file_sha256 equals hashlib.sha256 of the file's exact bytes (CRLF, BOM included)."""
    raw = b"\xef\xbb\xbfDate,Open\r\n2024-01-02,1\r\n" * 1000
    path = tmp_path / "x.csv"
    path.write_bytes(raw)
    assert file_sha256(path) == hashlib.sha256(raw).hexdigest()
    assert bytes_sha256(raw) == hashlib.sha256(raw).hexdigest()
    assert file_sha256(str(path)) == file_sha256(path)


def test_atomic_write_creates_a_readable_file(tmp_path: Path) -> None:
    """A new file gets the bytes, mode 0644, and no temp file is left behind."""
    path = tmp_path / "catalog.json"
    atomic_write(path, b"{}\n")
    assert path.read_bytes() == b"{}\n"
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.json"]


def test_atomic_write_keeps_the_mode_of_an_existing_file(tmp_path: Path) -> None:
    """Replacing a file keeps its permission bits."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"old")
    path.chmod(0o640)
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o640


def test_failed_atomic_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the old file is intact and the temp file is removed."""
    path = tmp_path / "a.csv"
    path.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
