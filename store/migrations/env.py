"""Alembic's environment: which database (the connection handed in by ``store.migrate``, or
DATABASE_URL for the ``alembic`` command) and which models (``store.models.Base``).

SQLite cannot ALTER constraints in place, so migrations run in batch mode there.
"""

from __future__ import annotations

from alembic import context

from store.db import database_url, make_engine
from store.models import Base

target_metadata = Base.metadata


def run_migrations(connection) -> None:
    """Configure the context on ``connection`` and run the pending migrations."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Online migrations only: the platform always migrates a live database."""
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported; run against a database")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


main()
