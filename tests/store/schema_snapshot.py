"""The reflected schema of a database as plain JSON-ready data: per table its columns in
order (type, nullability, server default, autoincrement), primary key, indexes, unique
constraints and foreign keys. ``tests/store/test_migrated_schema.py`` compares a freshly
migrated database with a snapshot of it (``fixtures/migrated_schema.json``).

Run ``python -m tests.store.schema_snapshot`` (with TEST_DATABASE_URL set) to write the
snapshot again: only ever from a commit whose migrations are known good.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, inspect

from store.db import make_engine
from store.migrate import alembic_config

SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "migrated_schema.json"
"""The schema migrations 0001..``REVISION`` made, on each dialect."""

REVISION = "0016"
"""The last revision the snapshot covers: later migrations change the schema on purpose."""


def migrate_to(engine: Engine, revision: str = REVISION) -> None:
    """Apply the migrations up to ``revision`` on ``engine``'s (empty) database."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def _column(column: dict[str, Any]) -> dict[str, Any]:
    default = column.get("default")
    return {
        "name": column["name"],
        "type": repr(column["type"]),
        "nullable": column["nullable"],
        "default": None if default is None else str(default),
        "autoincrement": str(column.get("autoincrement", "auto")),
    }


def reflect(engine: Engine) -> dict[str, Any]:
    """Every table of the database but ``alembic_version``, as sorted plain data."""
    inspector = inspect(engine)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        tables[table] = {
            "columns": [_column(c) for c in inspector.get_columns(table)],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (
                    {"name": i["name"], "columns": i["column_names"], "unique": bool(i["unique"])}
                    for i in inspector.get_indexes(table)
                ),
                key=lambda i: str(i["name"]),
            ),
            "unique_constraints": sorted(
                (
                    {"name": u["name"], "columns": u["column_names"]}
                    for u in inspector.get_unique_constraints(table)
                ),
                key=lambda u: str(u["name"]),
            ),
            "foreign_keys": sorted(
                (
                    {
                        "name": f["name"],
                        "columns": f["constrained_columns"],
                        "referred": [f["referred_table"], *f["referred_columns"]],
                        "ondelete": f.get("options", {}).get("ondelete"),
                    }
                    for f in inspector.get_foreign_keys(table)
                ),
                key=lambda f: str(f["name"]),
            ),
        }
    return tables


def _write() -> None:  # pragma: no cover - run by hand to take the snapshot
    from tests.databases import scratch_database

    snapshot: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/snapshot.sqlite3")
        migrate_to(engine)
        snapshot["sqlite"] = reflect(engine)
        engine.dispose()
    with scratch_database(os.environ["TEST_DATABASE_URL"], "bt_snapshot") as url:
        engine = make_engine(url)
        migrate_to(engine)
        snapshot["mysql"] = reflect(engine)
        engine.dispose()
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}", file=sys.stderr)


if __name__ == "__main__":
    _write()
