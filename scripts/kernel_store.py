"""numba's compiled kernels kept between checkouts of one machine, as uv keeps its wheels and
podman its layers: ``scripts/test.sh`` restores them into a new checkout before anything
compiles, and saves what its run compiled.

numba caches a kernel (``cache=True``) in the ``__pycache__`` folder beside its source, so a
fresh clone compiled every one again: the engine's warm-up about 130 CPU-s, and each peer
venv's (vectorbt's portfolio kernels) about 20 CPU-s more in its first processes. The store
(``BACKTEST_KERNEL_STORE``, default ``~/.cache/backtest-platform/kernels``; ``off``: none)
holds whole snapshots of such folders, one per folder and key:

    <store>/<folder relative to the checkout>/<key>/<its *.nbi, *.nbc and *.broker-stamp>

The key hashes everything the folder's machine code may depend on: its own ``.py`` files,
every ``engine/`` source (the kernels compile the broker's functions in), the requirements
files (numba's, vectorbt's versions), the interpreter of its venv, this CPU and
``NUMBA_CPU_NAME``. A folder is restored only whole and only where it holds no kernel yet, so index
and code files of two versions never mix; numba still checks each kernel against its source
(a content hash) and ``engine.kernel_stamp.forget_stale`` the broker's stamp, so a stale
snapshot costs a compile, never a wrong answer. Snapshots are written under a temporary name
and renamed into place whole; the newest few keys of a folder are kept.

    python3 -m scripts.kernel_store restore [FOLDER]   # "." (default): the project's own
    python3 -m scripts.kernel_store save

Standard library only (and ``config.process``): it runs before any venv exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from config import process

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KERNEL_FILES = ("*.nbi", "*.nbc", "*.broker-stamp")
"""numba's index and machine-code files, and the broker's stamp beside them."""
KEPT = 3
"""Snapshots kept per folder (the newest): a few commits' worth of kernels."""
SKIPPED = {".git", ".tools", "node_modules", ".hypothesis", ".ruff_cache", ".pytest_cache"}


def store_root() -> Path | None:
    """The store's folder, or None when ``BACKTEST_KERNEL_STORE`` is ``off``."""
    configured = process.KERNEL_STORE.value()
    if configured == "off":
        return None
    if configured:
        return Path(configured)
    cache = process.XDG_CACHE_HOME.value() or str(Path.home() / ".cache")
    return Path(cache) / "backtest-platform" / "kernels"


def _digest_files(digest: hashlib._Hash, root: Path, files: list[Path]) -> None:
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")


def _machine() -> bytes:
    """This CPU's model and flags (numba compiles for the host's)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return b""
    wanted = [line for line in lines if line.startswith(("model name", "flags"))]
    return "\n".join(sorted(set(wanted))).encode()


def shared_key_parts(root: Path = PROJECT_ROOT) -> hashlib._Hash:
    """What every folder's kernels depend on: the engine's sources, the requirements, this
    CPU and the CPU numba is told to compile for."""
    digest = hashlib.sha256()
    _digest_files(digest, root, list((root / "engine").rglob("*.py")))
    _digest_files(digest, root, list(root.glob("requirements*.txt")))
    digest.update(_machine())
    digest.update(repr(process.NUMBA_CPU_NAME.value()).encode())
    return digest


def folder_key(shared: hashlib._Hash, root: Path, folder: Path) -> str:
    """The key of the kernels of ``folder`` (a ``__pycache__``): the shared parts, its
    sources' folder's ``.py`` files and the interpreter of the venv that runs them (the one
    it lies in, else ``.venv``)."""
    digest = shared.copy()
    relative = folder.relative_to(root)
    digest.update(str(relative).encode())
    venv = relative.parts[0] if relative.parts[0].startswith(".venv") else ".venv"
    _digest_files(digest, root, [*folder.parent.glob("*.py"), *root.glob(f"{venv}/pyvenv.cfg")])
    return digest.hexdigest()


def _kernel_files(folder: Path) -> list[Path]:
    return [path for pattern in KERNEL_FILES for path in folder.glob(pattern)]


def kernel_folders(root: Path = PROJECT_ROOT) -> Iterator[Path]:
    """Every ``__pycache__`` of the checkout (its venvs included) that holds a kernel."""
    for here, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if name not in SKIPPED]
        if Path(here).name == "__pycache__" and any(name.endswith(".nbi") for name in files):
            yield Path(here)


def restore(store: Path, under: str = ".", root: Path = PROJECT_ROOT) -> int:
    """Copy into the checkout each stored folder under ``under`` ("." : every folder but the
    hidden ones, the venvs') whose key matches and which holds no kernel yet; how many."""
    shared = shared_key_parts(root)
    restored = 0
    for home in sorted(store.glob("**/__pycache__/")):  # a folder's snapshots, one a key
        relative = home.relative_to(store)
        if under == "." and relative.parts[0].startswith("."):
            continue
        if under != "." and relative.parts[: len(Path(under).parts)] != Path(under).parts:
            continue
        folder = root / relative
        if not folder.parent.is_dir():
            continue
        snapshot = home / folder_key(shared, root, folder)  # its key computed once
        if not snapshot.is_dir():
            continue
        if folder.is_dir() and _kernel_files(folder):
            continue  # this checkout's own kernels: never mixed with a snapshot's
        folder.mkdir(exist_ok=True)
        for path in snapshot.iterdir():
            shutil.copy2(path, folder / path.name)
        restored += 1
    return restored


def save(store: Path, root: Path = PROJECT_ROOT) -> int:
    """Store each kernel folder of the checkout whose key is not stored yet; how many."""
    shared = shared_key_parts(root)
    saved = 0
    for folder in kernel_folders(root):
        home = store / folder.relative_to(root)
        target = home / folder_key(shared, root, folder)
        if target.is_dir():
            continue
        home.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=home))
        for path in _kernel_files(folder):
            shutil.copy2(path, partial / path.name)
        try:
            partial.rename(target)
            saved += 1
        except OSError:  # another run stored the same key first
            shutil.rmtree(partial, ignore_errors=True)
        snapshots = sorted(
            (path for path in home.iterdir() if not path.name.startswith(".")),
            key=lambda path: path.stat().st_mtime,
        )
        for old in snapshots[:-KEPT]:
            shutil.rmtree(old, ignore_errors=True)
    return saved


def main(argv: list[str], root: Path = PROJECT_ROOT) -> int:
    if not argv or argv[0] not in {"restore", "save"}:
        print("usage: python3 -m scripts.kernel_store restore [FOLDER] | save", file=sys.stderr)
        return 2
    store = store_root()
    if store is None:
        return 0
    try:
        if argv[0] == "restore":
            count = restore(store, argv[1] if len(argv) > 1 else ".", root)
            print(f"kernel store: {count} folder(s) of compiled kernels restored from {store}")
        else:
            count = save(store, root)
            print(f"kernel store: {count} folder(s) of compiled kernels saved to {store}")
    except Exception as exc:  # a cache: whatever breaks it, the run goes on
        print(f"kernel store: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
