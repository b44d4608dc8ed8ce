"""docker-compose.yml run for real with podman-compose, from a clean state: MySQL and Redis
(the images it names, pulled, or local stand-ins where no registry answers:
``scripts.container.ensure_datastore_images``), the one-shot init-db, the web and the
scaler from the app image, and one run taken to SUCCEEDED through the web's API, its
consumer started by the scaler inside its container.

Podman 4.3 ignores ``condition: service_healthy`` and this machine has no systemd to run
healthchecks, so nothing here relies on them: init-db retries until MySQL answers
(``--wait``), and the web answers ``/ready`` only once the schema is current. The compose
project has its own name, port and volumes and is removed (``down -v``) at the end.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from scripts.container import COMPOSE_FILE, ensure_datastore_images
from tests.stack import answers_200, free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.container]

RUN = {
    "ticker": "ACME",
    "start_date": "2018-01-02",
    "end_date": "2019-12-31",
    "rule_type": "MACD",
    "params": {"fast": 12, "slow": 26, "signal": 9},
}


def podman_compose() -> list[str]:
    """podman-compose from the venv that runs the tests (requirements-dev.txt)."""
    found = Path(sys.executable).parent / "podman-compose"
    return [str(found)] if found.is_file() else [shutil.which("podman-compose") or "podman-compose"]


def without_compose_variables(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the variables docker-compose.yml reads (``${NAME…}``): the test
    session sets some for itself (DATA_DIR: its copy of the demo data, a host path), and a
    compose project takes only what its .env would give it."""
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    return {name: value for name, value in env.items() if name not in used}


class ComposeProject:
    """One ``podman-compose -p <name>`` project of docker-compose.yml, with its own environment
    (the variables .env would hold). Without systemd podman logs that it cannot schedule the
    healthchecks and runs the containers anyway."""

    def __init__(self, engine_env: dict[str, str], image_tag: str, port: int) -> None:
        self.name = f"sbt-{uuid.uuid4().hex[:8]}"
        self.env = {
            **without_compose_variables(engine_env),
            "IMAGE_TAG": image_tag,
            "PORT": str(port),
            "MYSQL_PASSWORD": os.urandom(12).hex(),
            "REDIS_PASSWORD": os.urandom(12).hex(),
        }

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                *podman_compose(),
                "-f",
                str(COMPOSE_FILE),
                "-p",
                self.name,
                *args,
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def logs(self) -> str:
        result = self.run("logs", timeout=60)
        return (result.stdout + result.stderr)[-12000:]


@pytest.fixture(scope="session")
def datastore_images(engine_env: dict[str, str]) -> None:
    """The compose file's ``mysql`` and ``redis`` images, made before the app image is asked
    for: while another worker builds that (``image``), this one makes the stand-ins instead
    of waiting."""
    ensure_datastore_images(engine_env)


@pytest.fixture
def project(
    engine_env: dict[str, str], datastore_images: None, image: str
) -> Iterator[ComposeProject]:
    compose = ComposeProject(engine_env, image.split(":", 1)[1], free_port())
    try:
        yield compose
    finally:
        compose.run("down", "-v", "-t", "5", timeout=180)


def test_podman_compose_up_from_a_clean_state_takes_a_run_to_succeeded(project: ComposeProject):
    started = time.monotonic()
    up = project.run("up", "-d")
    assert up.returncode == 0, up.stdout + up.stderr
    url = f"http://127.0.0.1:{project.env['PORT']}"
    try:
        wait_until(lambda: answers_200(f"{url}/ready", 3), 300, 1.0, what="the compose web")
    except TimeoutError:
        pytest.fail(f"the compose stack never became ready:\n{project.logs()}")
    ready_after = time.monotonic() - started

    # The web's first POST imports the submission's modules in its worker: 10 s was too
    # little on a loaded machine (two pytest workers per core beside the image build).
    response = requests.post(f"{url}/run_backtest", json=RUN, timeout=60)
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]

    def finished() -> dict | None:
        body = requests.get(f"{url}/status/{run_id}", timeout=30).json()
        return body if body["status"] in {"SUCCEEDED", "FAILED"} else None

    try:
        final = wait_until(finished, 180, 1.0, what=f"run {run_id} to finish")
    except TimeoutError:
        pytest.fail(f"run {run_id} never finished:\n{project.logs()}")
    assert final["status"] == "SUCCEEDED", final
    assert final["image_tag"] == project.env["IMAGE_TAG"]  # the compose image ran it
    assert final["engine_version"] and len(final["data_hash"]) == 64
    logs = project.logs()
    assert run_id in logs  # the scaler's consumer logs the run on compose's stdout
    print(
        f"\ncompose: ready {ready_after:.0f} s after `up` from a clean state, "
        f"run SUCCEEDED {time.monotonic() - started - ready_after:.1f} s after ready"
    )
