"""Slow clients cannot hold every web worker: the image's own gunicorn command (Dockerfile CMD,
gunicorn.conf.py) keeps answering ``/health`` while 50 connections stall mid-request.

gunicorn runs exactly as the image starts it (the CMD's shell line), with one change: it binds
127.0.0.1 instead of 0.0.0.0, so the test listens on loopback only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import requests

from tests.deploy.support import ROOT
from tests.deploy.test_deploy_dockerfile import DOCKERFILE, exec_form, instructions, runtime_stage
from tests.stack import answers_200, free_port, wait_until

STALLED = 50
"""Connections held open mid-request while /health is asked (the report: 2 stalled the web)."""

ANSWER_SECONDS = 1.0
"""How long /health may take while they are open."""


def image_command() -> list[str]:
    """The image's CMD with its bind address moved to loopback."""
    cmd = exec_form(runtime_stage(instructions(DOCKERFILE.read_text(encoding="utf-8"))), "CMD")
    assert cmd[:2] == ["sh", "-c"] and cmd[2].count("0.0.0.0:") == 1
    return [*cmd[:2], cmd[2].replace("0.0.0.0:", "127.0.0.1:")]


@pytest.fixture
def web(mysql_url: str, redis_url: str) -> Iterator[str]:
    """The web under the image's gunicorn command on a free loopback port; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": mysql_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"slow-{uuid.uuid4().hex[:6]}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("GUNICORN_CMD_ARGS", None)
    server = subprocess.Popen(
        image_command(),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers_200(f"{base}/health"), 30, what="gunicorn to answer /health")
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def stalled_connection(port: int, index: int) -> socket.socket:
    """A connection that stops mid-request: half announce a 1000-byte body and send none, half
    send part of their headers (slowloris)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if index % 2:
        sock.sendall(
            b"POST /run_backtest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
    else:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def test_health_answers_while_many_clients_stall(web: str) -> None:
    """With 50 stalled connections open, /health answers within a second, and /ready still
    reaches MySQL and Redis (PyMySQL and redis-py under gevent's monkeypatching)."""
    port = int(web.rsplit(":", 1)[1])
    with ExitStack() as stack:
        for index in range(STALLED):
            stack.enter_context(stalled_connection(port, index))
        time.sleep(0.5)  # every connection accepted and parked in a worker
        for _ in range(5):
            start = time.perf_counter()
            response = requests.get(f"{web}/health", timeout=ANSWER_SECONDS * 10)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200
            assert elapsed < ANSWER_SECONDS, f"/health took {elapsed:.1f} s"
        ready = requests.get(f"{web}/ready", timeout=ANSWER_SECONDS * 10).json()
        assert (ready["database"], ready["redis"]) == ("ok", "ok")
