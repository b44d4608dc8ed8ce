"""``scripts/kernel_store.py``: a fresh checkout gets the kernels an earlier run on the machine
compiled, whole and only where their sources are the same, and numba loads them there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from scripts import kernel_store

PYTHON = str(Path(sys.executable))

KERNEL_MODULE = """
from numba import njit

@njit(cache=True)
def plus_one(x):
    return x + 1

if __name__ == "__main__":
    assert plus_one(41) == 42
    print(len(plus_one.stats.cache_hits), len(plus_one.stats.cache_misses))
"""


def _checkout(root: Path, kernel_source: str = KERNEL_MODULE, engine: str = "X = 1\n") -> Path:
    """A checkout's sources: an engine module, and a folder with a kernel."""
    (root / "engine").mkdir(parents=True)
    (root / "engine" / "rules.py").write_text(engine)
    (root / "pkg").mkdir()
    (root / "pkg" / "kernel.py").write_text(kernel_source)
    (root / "requirements-dev.txt").write_text("numba\n")
    return root


def _run_kernel(root: Path) -> tuple[int, int]:
    """Run the checkout's kernel in a process of its own: (cache hits, cache misses)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    printed = subprocess.run(
        [PYTHON, str(root / "pkg" / "kernel.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(printed[0]), int(printed[1])


def _kernel_files(root: Path) -> dict[str, bytes]:
    folder = root / "pkg" / "__pycache__"
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in {".nbi", ".nbc"}}


def test_a_fresh_checkout_loads_the_kernels_another_compiled_and_compiles_none(tmp_path):
    store, first, second = tmp_path / "store", tmp_path / "one", tmp_path / "two"
    _checkout(first)
    assert _run_kernel(first) == (0, 1)  # compiled and cached beside its source
    assert kernel_store.save(store, root=first) == 1
    assert kernel_store.save(store, root=first) == 0  # that key is stored already

    _checkout(second)
    assert kernel_store.restore(store, root=second) == 1
    assert _kernel_files(second) == _kernel_files(first)
    assert _run_kernel(second) == (1, 0)  # loaded at another path, nothing compiled


def test_kernels_of_other_sources_are_not_restored(tmp_path):
    store, first = tmp_path / "store", _checkout(tmp_path / "one")
    _run_kernel(first)
    kernel_store.save(store, root=first)

    own_changed = _checkout(tmp_path / "two", kernel_source=KERNEL_MODULE + "\nY = 2\n")
    engine_changed = _checkout(tmp_path / "three", engine="X = 2\n")
    for root in (own_changed, engine_changed):
        assert kernel_store.restore(store, root=root) == 0
        assert not (root / "pkg" / "__pycache__").exists()


def test_a_checkout_keeps_its_own_kernels(tmp_path):
    store, first = tmp_path / "store", _checkout(tmp_path / "one")
    _run_kernel(first)
    kernel_store.save(store, root=first)
    second = _checkout(tmp_path / "two")
    own = second / "pkg" / "__pycache__"
    own.mkdir()
    (own / "kernel.plus_one-5.py311.nbi").write_bytes(b"its own")

    assert kernel_store.restore(store, root=second) == 0
    assert [p.name for p in own.iterdir()] == ["kernel.plus_one-5.py311.nbi"]


def test_a_venvs_kernels_are_restored_only_when_asked_for_by_name(tmp_path):
    store, first = tmp_path / "store", _checkout(tmp_path / "one")
    venv_pkg = first / ".venv-bench" / "site" / "pkg"
    venv_pkg.parent.mkdir(parents=True)
    shutil.copytree(first / "pkg", venv_pkg)
    (venv_pkg / "__pycache__").mkdir()
    (venv_pkg / "__pycache__" / "kernel.plus_one-5.py311.nbi").write_bytes(b"index")
    assert kernel_store.save(store, root=first) == 1  # the venv's; pkg/ compiled nothing

    second = _checkout(tmp_path / "two")
    (second / ".venv-bench" / "site").mkdir(parents=True)
    shutil.copytree(first / ".venv-bench" / "site" / "pkg", second / ".venv-bench" / "site" / "pkg")
    shutil.rmtree(second / ".venv-bench" / "site" / "pkg" / "__pycache__")
    assert kernel_store.restore(store, ".", root=second) == 0  # the project's own folders
    assert kernel_store.restore(store, ".venv-bench", root=second) == 1


def test_a_folder_keeps_its_newest_snapshots(tmp_path):
    store, root = tmp_path / "store", _checkout(tmp_path / "one")
    folder = root / "pkg" / "__pycache__"
    folder.mkdir()
    (folder / "kernel.plus_one-5.py311.nbi").write_bytes(b"index")
    for version in range(kernel_store.KEPT + 2):
        (root / "pkg" / "kernel.py").write_text(f"{KERNEL_MODULE}\nVERSION = {version}\n")
        assert kernel_store.save(store, root=root) == 1
        newest = kernel_store.folder_key(kernel_store.shared_key_parts(root), root, folder)
        os.utime(store / "pkg" / "__pycache__" / newest, (1e9 + version, 1e9 + version))
    kept = {p.name for p in (store / "pkg" / "__pycache__").iterdir()}
    assert len(kept) == kernel_store.KEPT and newest in kept


def test_the_store_is_off_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKTEST_KERNEL_STORE", "off")
    assert kernel_store.store_root() is None
    monkeypatch.setenv("BACKTEST_KERNEL_STORE", str(tmp_path))
    assert kernel_store.store_root() == tmp_path


def test_a_broken_store_never_fails_the_test_command(monkeypatch, tmp_path, capsys):
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("a file where the store should be")
    monkeypatch.setenv("BACKTEST_KERNEL_STORE", str(not_a_folder))
    root = _checkout(tmp_path / "one")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "kernel.plus_one-5.py311.nbi").write_bytes(b"index")

    assert kernel_store.main(["save"], root=root) == 0
    assert "kernel store: NotADirectoryError" in capsys.readouterr().err
    assert kernel_store.main(["clean"], root=root) == 2  # a wrong command is refused
