"""Fixtures of the container tests: podman prepared for this machine and the app image built
once per run (tests/deploy/test_deploy_container.py, test_deploy_compose_podman.py).

``scripts/test.sh`` builds the image in the background from the start of the command, beside
the installs, the lint and the kernels' warm-up (``tests.background``): these fixtures first
wait for that build, then build the same Dockerfile again, which finds every layer in podman's
cache. Outside such a run, the files may run on different pytest-xdist workers; the first to
need the image builds it while the other waits on a lock the workers share, then finds every
layer in podman's build cache, so the run builds the image once instead of twice at the
same time.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scripts.container import build_image, ensure_engine, git_tag
from tests.background import IMAGE_BUILD_LOCK, wait_for
from tests.deploy.pods import image_size
from tests.deploy.support import in_ci


@contextmanager
def one_worker_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Held by one xdist worker of this run at a time (a lock file in the folder the
    workers' temporary folders share); a run in one process needs no lock."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    lock = Path(tmp_path_factory.getbasetemp().parent, "image-build.lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def engine_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment podman runs with (``scripts.container.ensure_engine``), installing the
    engine when root (one worker at a time: two apt-get runs would contend for dpkg's lock);
    skipped locally and failed in CI when podman cannot be had. It waits for the background
    build of ``scripts/test.sh`` first, which installs the engine itself when missing."""
    wait_for(IMAGE_BUILD_LOCK)
    if os.geteuid() != 0 and shutil.which("podman") is None:
        message = "podman is missing and only root can install it (apt-get)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with one_worker_at_a_time(tmp_path_factory):
        return ensure_engine()


@pytest.fixture(scope="session")
def image(engine_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """``stock-backtest:test-<git short SHA>`` built from the Dockerfile, by one worker at a
    time (the later one finds the layers built); its size and build time are printed
    (``-s``)."""
    started = time.monotonic()
    with one_worker_at_a_time(tmp_path_factory):
        reference = build_image(engine_env, f"test-{git_tag()}")
    size = image_size(engine_env, reference)
    print(f"\nimage {reference}: {size / 1e6:.0f} MB, built in {time.monotonic() - started:.0f} s")
    return reference
