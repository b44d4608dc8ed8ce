"""File helpers: the SHA-256 of a file's bytes and atomic writes (temp file + os.replace)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_NEW_FILE_MODE = 0o644
"""Mode of a newly created file (temp files are 0600; the web and worker must read them)."""


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of the file's bytes (the ``data_hash`` recorded with results)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def bytes_sha256(raw: bytes) -> str:
    """SHA-256 hex digest of ``raw``: equals ``file_sha256`` of a file holding those bytes."""
    return hashlib.sha256(raw).hexdigest()


def atomic_write(path: Path, raw: bytes, *, sync: bool = True) -> None:
    """Write ``raw`` to ``path`` so readers see either the old file or the new one, whole.

    The bytes go to a temp file in the same folder, are fsynced (unless ``sync`` is False:
    a cache file that its readers check), then ``os.replace``-d over ``path``. An existing
    file's permission bits are kept; a new file gets 0644.
    """
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
