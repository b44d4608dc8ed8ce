"""Tests for ``python -m web tokens`` (web/tokens.py): create prints the token once on
stdout, list shows names and states (never a token), revoke ends a token, on a SQLite
database made by ``init-db``.

One test runs the command as a real subprocess (the process boundary: the exit code, the
token alone on stdout, the notes on stderr); the others call the same entry point,
``web.__main__.main``, in this process with stdout and stderr captured, since what they
check is the command's logic and a subprocess costs ~1.4 CPU-s of imports a call.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from subprocess import CompletedProcess
from unittest import mock

import pytest

from tests.web.test_web_main import run
from web.__main__ import main

pytestmark = pytest.mark.slow


@contextmanager
def _root_logging_kept() -> Iterator[None]:
    """The root logger's handlers and level restored after the block: ``main`` configures
    logging for its process (a handler on the stderr of the moment), this one's is pytest's."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def in_process(args: list[str], database_url: str) -> CompletedProcess:
    """``python -m web ARGS`` run by its ``main`` in this process with DATABASE_URL set: its
    exit code (argparse's usage errors exit through SystemExit), stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, DATABASE_URL=database_url),
        redirect_stdout(out),
        redirect_stderr(err),
        _root_logging_kept(),
    ):
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code
    return CompletedProcess(args, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def initialised(tmp_path_factory) -> Path:
    """A SQLite file ``init-db`` made, once for the module (each test takes a copy). A real
    process, so the file is complete when it exits (in this one, its engine would keep the
    newest pages in SQLite's write-ahead log beside it, which a copy of the file misses)."""
    path = tmp_path_factory.mktemp("init-db") / "db.sqlite3"
    made = run([sys.executable, "-m", "web", "init-db"], DATABASE_URL=f"sqlite:///{path}")
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture
def database(initialised: Path, tmp_path):
    """(URL, path) of a SQLite database with the schema: a copy of ``initialised``."""
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(initialised, path)
    return f"sqlite:///{path}", path


def tokens(url: str, *args: str) -> CompletedProcess:
    """``python -m web tokens ARGS`` on ``url``, in this process (``in_process``)."""
    return in_process(["tokens", *args], url)


def test_create_prints_the_token_once_and_stores_its_hash(database):
    """The real process: stdout is the token alone (``TOKEN=$(...)`` captures it), the note
    on stderr; the database holds its SHA-256 digest and not the token."""
    url, path = database
    created = run(
        [sys.executable, "-m", "web", "tokens", "create", "--name", "ci"], DATABASE_URL=url
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("bt_") and created.stdout == token + "\n"
    assert "shown this once" in created.stderr and token not in created.stderr
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name, token_hash FROM api_tokens").fetchall()
    assert rows == [("ci", hashlib.sha256(token.encode()).hexdigest())]
    assert token.encode() not in path.read_bytes()


def test_list_and_revoke(database):
    """list shows each name live, then revoked; revoking twice or a duplicate name fails."""
    url, _ = database
    token = tokens(url, "create", "--name", "alice").stdout.strip()
    assert tokens(url, "create", "--name", "alice").returncode == 1
    listed = tokens(url, "list")
    assert listed.returncode == 0
    assert listed.stdout.startswith("alice\tcreated ") and listed.stdout.rstrip().endswith("live")
    assert token not in listed.stdout
    assert tokens(url, "revoke", "--name", "alice").returncode == 0
    assert "\trevoked " in tokens(url, "list").stdout
    again = tokens(url, "revoke", "--name", "alice")
    assert again.returncode == 1 and "no live token" in again.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [(("create",), 2), (("create", "--name", " "), 2), ((), 2), (("revoke",), 2)],
)
def test_bad_usage_exits_2(database, args, code):
    """A missing action or name is a usage error (exit 2), not a traceback."""
    url, _ = database
    result = tokens(url, *args)
    assert result.returncode == code
    assert "Traceback" not in result.stderr


def test_tokens_without_the_schema_is_one_line_and_exit_1(tmp_path):
    """On a database without tables: exit 1 and one line, no traceback."""
    result = tokens(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("tokens failed: ") and "Traceback" not in result.stderr


def test_scopes_are_created_listed_and_changed(database):
    """create --scope admin makes an admin token, list shows each token's scope, and scope
    --name changes a live token's; a revoked or unknown name, or no --scope, is refused."""
    url, _ = database
    assert tokens(url, "create", "--name", "root", "--scope", "admin").returncode == 0
    assert tokens(url, "create", "--name", "bob").returncode == 0
    lines = dict(line.split("\t", 1) for line in tokens(url, "list").stdout.splitlines())
    assert lines["root"].split("\t")[1:] == ["admin", "live"]
    assert lines["bob"].split("\t")[1:] == ["user", "live"]
    assert tokens(url, "scope", "--name", "bob", "--scope", "admin").returncode == 0
    assert "\tadmin\tlive" in tokens(url, "list").stdout.splitlines()[1]
    assert tokens(url, "scope", "--name", "bob").returncode == 2
    assert tokens(url, "scope", "--name", "nobody", "--scope", "user").returncode == 1
    assert tokens(url, "create", "--name", "x", "--scope", "owner").returncode == 2
