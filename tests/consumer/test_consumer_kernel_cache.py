"""consumer.kernel_cache: a Job's writable NUMBA_CACHE_DIR is seeded from the compiled
kernels built into the image (numba loads a cache only from a directory it can write)."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumer.kernel_cache import seed_kernel_cache


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    folder = tmp_path / "opt" / "numba-cache" / "app" / "engine"
    folder.mkdir(parents=True)
    (folder / "_kernel.evaluate_runs-300.py311.nbi").write_bytes(b"index")
    return tmp_path / "opt" / "numba-cache"


def test_an_absent_cache_dir_gets_the_image_kernels_with_their_layout(seed, tmp_path, monkeypatch):
    target = tmp_path / "tmp" / "numba-cache"
    monkeypatch.setenv("NUMBA_CACHE_SEED", str(seed))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(target))
    seed_kernel_cache()
    copied = target / "app" / "engine" / "_kernel.evaluate_runs-300.py311.nbi"
    assert copied.read_bytes() == b"index"


def test_a_cache_dir_already_there_is_left_alone(seed, tmp_path, monkeypatch):
    target = tmp_path / "numba-cache"
    target.mkdir()
    monkeypatch.setenv("NUMBA_CACHE_SEED", str(seed))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(target))
    seed_kernel_cache()
    assert list(target.iterdir()) == []


def test_without_a_seed_or_a_missing_one_nothing_happens(tmp_path, monkeypatch):
    target = tmp_path / "numba-cache"
    monkeypatch.delenv("NUMBA_CACHE_SEED", raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(target))
    seed_kernel_cache()
    monkeypatch.setenv("NUMBA_CACHE_SEED", str(tmp_path / "absent"))
    seed_kernel_cache()
    assert not target.exists()
