"""A MySQL database of its own for a test or a benchmark: created on a server, dropped after.

The session's shared test database holds other tests' tables; what applies a schema itself
(init-db, migrations, restores) or must start empty uses ``scratch_database`` instead. The
benchmarks in bench/ use it too, so every one of them leaves the server as it found it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

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
