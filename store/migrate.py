"""Schema migrations applied from code: ``upgrade(engine)`` brings a database to the newest
revision in ``store/migrations`` (Alembic).

It is what every entry point runs: ``alembic upgrade head`` from the repository root (with
DATABASE_URL), ``python -m web init-db`` (the Kubernetes db-init Job and the compose
``init-db`` service) and the embedded default at start-up. A database created by
``init-db`` before migrations existed has the baseline tables but no ``alembic_version``;
it is stamped at the baseline revision first, so upgrading keeps every row.

``schema_state(connection)`` only reads: it compares the database's revision with the head of
``store/migrations`` (the web's readiness probe refuses traffic while the schema is behind).
"""

from __future__ import annotations

import functools
import logging
from enum import StrEnum
from pathlib import Path

logging.getLogger("alembic").setLevel(logging.WARNING)  # upgrade()'s line says what it did

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from sqlalchemy import Connection, Engine, inspect  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
"""Alembic's script directory (``alembic.ini`` at the repository root points here too)."""

BASELINE = "0001"
"""The revision equal to the schema ``init-db`` created before migrations existed."""

BASELINE_TABLES = frozenset(
    {"backtest_results", "strategy_presets", "sweeps", "sweep_chunks", "sweep_results"}
)
"""The tables of the baseline revision."""


class UnknownSchemaError(RuntimeError):
    """The database holds some of the platform's tables but no migration history."""


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that migrates over ``connection`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The database's revision, or None when it has no ``alembic_version``."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision in ``store/migrations``."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


class SchemaState(StrEnum):
    """How a database's schema compares with the migrations of this code."""

    CURRENT = "current"
    """At the head revision."""
    BEHIND = "behind"
    """At an older revision, or without migration history: ``init-db`` has yet to run."""
    AHEAD = "ahead"
    """At a revision this code does not know: a newer release migrated it. Migrations only
    add, so this code runs on it (a rollback)."""


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    """The head revision and every revision of ``store/migrations`` (read once a process)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return script.get_current_head(), known


def schema_state(connection: Connection) -> SchemaState:
    """Compare the database's revision with the head of ``store/migrations``; read only.

    :return: CURRENT, BEHIND (an older revision, or no ``alembic_version``) or AHEAD (a
        revision newer than this code).
    """
    current = current_revision(connection)
    head, known = _revisions()
    if current == head:
        return SchemaState.CURRENT
    if current is None or current in known:
        return SchemaState.BEHIND
    return SchemaState.AHEAD


def upgrade(engine: Engine) -> str:
    """Migrate the database of ``engine`` to the newest revision.

    :return: one line: the tables created and already present, and the revisions before
        and after.
    :raise UnknownSchemaError: when some but not all baseline tables exist without a
        migration history (not a database this platform created).
    """
    with engine.begin() as connection:
        config = alembic_config(connection)
        before = current_revision(connection)
        tables = set(inspect(connection).get_table_names())
        stamped = False
        if before is None and tables & BASELINE_TABLES:
            missing = BASELINE_TABLES - tables
            if missing:
                raise UnknownSchemaError(
                    f"the database has {', '.join(sorted(tables & BASELINE_TABLES))} but not "
                    f"{', '.join(sorted(missing))} and no migration history: migrate it by hand"
                )
            command.stamp(config, BASELINE)
            stamped = True
        command.upgrade(config, "head")
        after = current_revision(connection)
        now = set(inspect(connection).get_table_names()) - {"alembic_version"}
    where = engine.url.render_as_string(hide_password=True)
    created = ", ".join(sorted(now - tables)) or "none"
    present = ", ".join(sorted(now & tables)) or "none"
    adopted = f" (adopted at {BASELINE})" if stamped else ""
    return (
        f"{where}: created tables: {created}; already present: {present}; "
        f"revision {before or 'none'}{adopted} -> {after}"
    )
