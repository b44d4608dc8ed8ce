"""``python -m scripts.local_stack`` (what ``scripts/run-local.sh`` and the demo start): two
launchers with their own LOCAL_STATE_DIR run side by side and stopping one leaves the other's
embedded Redis alone (the demo used to shut down run-local.sh's), and a launcher whose
embedded Redis is lost stops the platform and exits 1 saying so (it kept a web that
answered only 503s)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from redis import Redis

from consumer.scaler import manifest_paths
from consumer.scaling import load_scaled_job
from tests.stack import answers_200, free_port, python_m, wait_until

pytestmark = pytest.mark.slow  # whole stacks


def _launch(tmp_path: Path, name: str) -> tuple[subprocess.Popen, str]:
    state = tmp_path / name
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")},
        "LOCAL_STATE_DIR": str(state),
        "DATABASE_URL": f"sqlite:///{state}/db.sqlite3",
        "PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    process = python_m(
        "scripts.local_stack",
        env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    line = process.stdout.readline()
    match = re.match(r"embedded Redis: (unix://\S+)", line)
    assert match, line
    base = f"http://127.0.0.1:{env['PORT']}"
    wait_until(lambda: answers_200(f"{base}/ready"), 60, what=f"{name} to be ready")
    return process, match.group(1)


def _stop(process: subprocess.Popen) -> tuple[str, str]:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    return process.communicate(timeout=120)


def test_two_launchers_have_their_own_redis_and_stopping_one_spares_the_other(tmp_path):
    first, first_url = _launch(tmp_path, "first")
    try:
        second, second_url = _launch(tmp_path, "second")
        assert first_url != second_url
        _stop(second)
        assert second.returncode == 0
        assert Redis.from_url(first_url).ping(), "the first stack's Redis must survive"
        assert first.poll() is None
    finally:
        _stop(first)


def test_a_launcher_whose_embedded_redis_is_lost_stops_with_a_clear_message(tmp_path):
    process, url = _launch(tmp_path, "lost")
    try:
        with contextlib.suppress(Exception):  # the server closes the connection as it goes
            Redis.from_url(url).shutdown(nosave=True)
        wait_until(lambda: process.poll() is not None, 120, what="the launcher to exit")
    finally:
        _, err = _stop(process)
    assert process.returncode == 1
    assert "error: the embedded Redis stopped" in err, err
    for manifest in manifest_paths():  # one scaler per ScaledJob, each logs its failure once
        failing = f"poll failed ({load_scaled_job(manifest).list_name})"
        assert err.count(failing) <= 1, "the scaler logs a failing poll once, not every 2 s"
