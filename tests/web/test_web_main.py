"""Tests for web/__main__.py: ``python -m web init-db``, ``flask --app web init-db`` and
``python -m web`` serving on $PORT, each in a real subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web.test_web_db import ALL_TABLES

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_m_web_init_db_creates_the_schema_once(tmp_path):
    """``python -m web init-db`` creates both tables, and a second run creates none."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    first = run([sys.executable, "-m", "web", "init-db"], DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{url}: created tables: {ALL_TABLES}; already present: none;")
    second = run([sys.executable, "-m", "web", "init-db"], DATABASE_URL=url)
    assert second.returncode == 0, second.stderr
    assert f"created tables: none; already present: {ALL_TABLES}" in (second.stdout)


def test_flask_cli_init_db_creates_the_schema(tmp_path):
    """``flask --app web init-db`` is the same operator step."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    flask = str(Path(sys.executable).parent / "flask")
    result = run([flask, "--app", "web", "init-db"], DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert f"created tables: {ALL_TABLES}" in result.stdout


def test_init_db_with_the_database_down_exits_1_with_one_line():
    """An unreachable database is a one-line error and exit status 1, not a traceback."""
    url = "mysql+pymysql://root@127.0.0.1:1/nowhere"
    result = run([sys.executable, "-m", "web", "init-db"], DATABASE_URL=url)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("init-db failed: OperationalError")
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_m_web_serves_on_port(tmp_path):
    """``python -m web`` answers /health on 127.0.0.1:$PORT and logs to stderr."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    env.pop("HOST", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "web"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body, deadline = None, time.monotonic() + 30
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = r.read()
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                time.sleep(0.2)
        assert body == b'{"status":"ok"}\n'
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert f"127.0.0.1:{port}" in err
