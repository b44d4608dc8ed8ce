"""What ``scripts/test.sh`` prepares in the background while the tests start, and how a test
that needs it waits for it.

The script starts each such job holding an exclusive ``flock`` on the job's lock file until
the job ends; a test that needs what the job makes takes that lock shared first
(``wait_for``), so it waits while the job runs and no other test does. Outside such a run
(no lock file, or nobody holding it) the wait returns at once. The jobs:

* the peer venv's install (``.venv-bench``, ``tests.peer_venv``);
* the app image's build (``IMAGE_BUILD_LOCK``, the container tests' ``tests/deploy/conftest.py``):
  the fixtures then build the same Dockerfile again and find every layer in podman's cache.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

IMAGE_BUILD_LOCK = PROJECT_ROOT / ".tools" / "image-build.lock"
"""Held exclusively by ``scripts/test.sh``'s background build of the app image."""

IMAGE_BUILD_LOG = PROJECT_ROOT / ".tools" / "image-build.log"
"""What that build printed."""


def wait_for(lock: Path) -> None:
    """Return once no background job holds ``lock`` (at once when there is none)."""
    if not lock.exists():
        return
    with lock.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        fcntl.flock(handle, fcntl.LOCK_UN)
