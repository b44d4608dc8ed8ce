"""Tests for web/__main__.py: ``python -m web init-db``, ``flask --app web init-db`` and
``python -m web`` serving on $PORT, each in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.stack import free_port, python_m, wait_until
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
    server = python_m("web", env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def health() -> bytes | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                return r.read()
        except OSError:
            assert server.poll() is None, server.communicate()[1]
            return None

    try:
        body = wait_until(health, 30, 0.2, what="python -m web to answer /health")
        assert body == b'{"status":"ok"}\n'
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    assert f"127.0.0.1:{port}" in err


def test_init_db_with_wait_retries_until_the_database_answers(empty_mysql_url):
    """``init-db --wait 60`` started while the database is cut off keeps trying and creates
    the schema once it answers (compose starts it beside a database still initialising)."""
    from sqlalchemy.engine import make_url

    from tests.tcp_proxy import TcpProxy

    server = make_url(empty_mysql_url)  # the server the suite was given, through a proxy
    proxy = TcpProxy(server.port or 3306, server.host or "127.0.0.1")
    proxy.cut()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "web", "init-db", "--wait", "60"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "DATABASE_URL": proxy.url_for(empty_mysql_url)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # its first refused attempt (however long its start-up takes on a loaded machine)
        waited = []
        while not waited or "database not reachable yet" not in waited[-1]:
            line = process.stderr.readline()  # "" once it exits: it did not wait
            assert line, "".join(waited)
            waited.append(line)
        assert process.poll() is None  # still waiting, not failed
        proxy.restore()
        out, err = process.communicate(timeout=60)
    finally:
        proxy.close()
    assert process.returncode == 0, err
    assert "database not reachable yet" in waited[-1]
    assert "created tables" in out or "already present" in out


def test_init_db_gives_up_when_the_wait_is_over():
    url = "mysql+pymysql://root@127.0.0.1:1/nowhere"
    started = time.monotonic()
    result = run([sys.executable, "-m", "web", "init-db", "--wait", "3"], DATABASE_URL=url)
    assert result.returncode == 1
    assert "init-db failed" in result.stderr
    assert 1.5 < time.monotonic() - started < 30


def test_init_db_with_wait_does_not_retry_an_error_that_is_no_outage(empty_mysql_url):
    """Only "not up yet" errors are retried: a schema error fails at once."""
    from sqlalchemy import create_engine, text

    engine = create_engine(empty_mysql_url)
    with engine.begin() as connection:  # a table in the way of the baseline migration
        connection.execute(text("CREATE TABLE backtest_results (x INT)"))
    engine.dispose()
    started = time.monotonic()
    result = run(
        [sys.executable, "-m", "web", "init-db", "--wait", "60"], DATABASE_URL=empty_mysql_url
    )
    assert result.returncode == 1
    assert "not reachable yet" not in result.stderr
    assert time.monotonic() - started < 30


def _listening_port():
    """A socket listening on a free loopback port: the port is busy while it is open."""
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    return busy


@pytest.mark.parametrize("module", ["web", "scripts.local_stack"])
def test_a_busy_port_is_one_line_naming_port(module, tmp_path):
    """``python -m web`` and the launcher of ``bash scripts/run-local.sh`` on a port another
    program holds: exit 2 with one line that names PORT and how to choose another, no
    traceback and (the launcher) nothing started."""
    with _listening_port() as busy:
        port = busy.getsockname()[1]
        result = run(
            [sys.executable, "-m", module],
            PORT=str(port),
            LOCAL_STATE_DIR=str(tmp_path / "state"),
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"configuration error: PORT {port} on 127.0.0.1 is in use")
    assert "PORT=5001" in lines[0]
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"AUTH_MODE": "token"}, "SECRET_KEY is required when AUTH_MODE=token: set SECRET_KEY"),
        ({"AUTH_MODE": "token", "SECRET_KEY": "short"}, "SECRET_KEY: string should have at"),
        ({"PORT": "http"}, "PORT: input should be a valid integer"),
        ({"SWEEP_CHUNK_SIZE": "many"}, "SWEEP_CHUNK_SIZE must be a whole number"),
    ],
)
def test_a_refused_setting_is_one_line_naming_the_variable(env, line):
    """A configuration mistake at start-up is one line naming the variable and what to set,
    exit 2, never pydantic's traceback (whose values may be secrets)."""
    result = run([sys.executable, "-m", "web"], **env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "short" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"configuration error: {line}")


def test_the_images_gunicorn_stops_on_a_refused_setting_with_one_line_naming_it():
    """The image's CMD (gunicorn serving ``web.startup:served_app()``) with AUTH_MODE=token
    and no SECRET_KEY: the worker prints one ``configuration error:`` line naming SECRET_KEY,
    no traceback, and gunicorn's master stops ("App failed to load") instead of booting
    worker after worker."""
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CMD_ARGS"}
    env |= {"AUTH_MODE": "token", "SECRET_KEY": ""}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"),
            *("--no-control-socket", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1"),
            "web.startup:served_app()",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("configuration error: SECRET_KEY is required when AUTH_MODE=token")
    assert "App failed to load" in result.stderr
