"""A MySQL database of its own for a test or a benchmark: created on a server, dropped after.

The session's shared test database holds other tests' tables; what applies a schema itself
(init-db, migrations, restores) or must start empty uses ``scratch_database`` instead. The
benchmarks in bench/ use it too, so every one of them leaves the server as it found it.

``seed_sqlite_schema`` gives a test's new SQLite file the models' schema as a copy of one
file the process made once with ``create_schema``: the same schema, without creating every
table and index (and syncing the file to disk) again for each test.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create ``<prefix>_<random>`` (utf8mb4) on the server of ``server_url``; yield its URL
    and drop it on exit. An error creating it propagates, with nothing left behind."""
    server = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except BaseException:
        admin.dispose()
        raise
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@cache
def _sqlite_schema_file() -> Path:
    """An SQLite file holding just the models' schema, made once per process (removed at
    its exit)."""
    from store.db import create_schema

    folder = Path(tempfile.mkdtemp(prefix="sqlite-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "schema.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    try:
        create_schema(engine)
    finally:
        engine.dispose()
    return path


def seed_sqlite_schema(database_url: str) -> None:
    """Give the SQLite file of ``database_url`` the models' schema if the file does not exist
    yet (a copy of ``_sqlite_schema_file``); leave any other database as it is."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if not path.exists():
        shutil.copyfile(_sqlite_schema_file(), path)
