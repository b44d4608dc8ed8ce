"""Fixtures of the container tests: podman prepared for this machine and the app image built
once per session (tests/deploy/test_deploy_container.py, test_deploy_compose_podman.py)."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from scripts.container import build_image, ensure_engine, git_tag
from tests.deploy.pods import image_size
from tests.deploy.support import in_ci


@pytest.fixture(scope="session")
def engine_env() -> dict[str, str]:
    """The environment podman runs with (``scripts.container.ensure_engine``), installing the
    engine when root; skipped locally and failed in CI when podman cannot be had."""
    if os.geteuid() != 0 and shutil.which("podman") is None:
        message = "podman is missing and only root can install it (apt-get)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return ensure_engine()


@pytest.fixture(scope="session")
def image(engine_env: dict[str, str]) -> str:
    """``stock-backtest:test-<git short SHA>`` built from the Dockerfile; its size and build
    time are printed (``-s``)."""
    started = time.monotonic()
    reference = build_image(engine_env, f"test-{git_tag()}")
    size = image_size(engine_env, reference)
    print(f"\nimage {reference}: {size / 1e6:.0f} MB, built in {time.monotonic() - started:.0f} s")
    return reference
