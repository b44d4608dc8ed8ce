"""The migrations make, column for column, the schema they made before their work-item
columns came from one helper (``store.work_item_columns``): a fresh SQLite and a fresh
MariaDB database migrated to the snapshot's revision reflect exactly the committed snapshot
(``fixtures/migrated_schema.json``, taken from the migrations that spelled every column)."""

from __future__ import annotations

import json

import pytest

from store.db import make_engine
from tests.databases import scratch_database
from tests.store.schema_snapshot import SNAPSHOT, migrate_to, reflect


@pytest.fixture(scope="module")
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def _assert_same(reflected: dict, expected: dict) -> None:
    assert list(reflected) == list(expected)
    for table, shape in expected.items():
        assert reflected[table] == shape, table


def test_migrating_a_fresh_sqlite_database_makes_the_snapshot_schema(tmp_path, snapshot):
    """Columns in order, types, nullability, defaults, keys and indexes are unchanged."""
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    try:
        migrate_to(engine)
        _assert_same(reflect(engine), snapshot["sqlite"])
    finally:
        engine.dispose()


@pytest.mark.mysql
def test_migrating_a_fresh_mariadb_database_makes_the_snapshot_schema(mysql_server_url, snapshot):
    """The same on MariaDB (its own scratch database, dropped after)."""
    with scratch_database(mysql_server_url, "bt_schema") as url:
        engine = make_engine(url)
        try:
            migrate_to(engine)
            _assert_same(reflect(engine), snapshot["mysql"])
        finally:
            engine.dispose()
