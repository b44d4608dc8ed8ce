"""Tests for store/migrate.py and store/migrations: the migrated schema equals the models on
MariaDB and SQLite, a database created by the pre-migration ``init-db`` is adopted and
upgraded without losing rows, upgrading twice changes nothing, and the sweep foreign keys
cascade."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from store.db import make_engine
from store.migrate import (
    BASELINE,
    BASELINE_TABLES,
    UnknownSchemaError,
    alembic_config,
    head_revision,
    upgrade,
)
from store.models import Base
from tests.databases import scratch_database

NOW = datetime(2024, 1, 2, 3, 4, 5, 123456)


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def engine(request, tmp_path) -> Iterator[Engine]:
    """An empty database of its own on SQLite, and on the MariaDB server (created for the
    test and dropped after: the session's shared database holds other tests' tables)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
        yield engine
        engine.dispose()
        return
    with scratch_database(request.getfixturevalue("mysql_server_url"), "bt_migrate") as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _legacy_init_db(engine: Engine) -> None:
    """The database today's pre-migration ``init-db`` made: the baseline tables and no
    migration history (the baseline revision is a frozen copy of that schema)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))


def _schema_diff(engine: Engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def _insert_one_row_per_table(engine: Engine) -> None:
    stamp = {"created_at": NOW}
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO backtest_results (run_id, ticker, rule_type, rule_id, params_json,"
                " request_json, status, queue, attempts, created_at) VALUES ('r1', 'ACME', 'RSI',"
                " 'rsi', '{}', '{}', 'SUCCEEDED', 'backtests', 1, :created_at)"
            ),
            stamp,
        )
        c.execute(
            text(
                "INSERT INTO strategy_presets (name, payload_json, created_at)"
                " VALUES ('mine', '{}', :created_at)"
            ),
            stamp,
        )
        c.execute(
            text(
                "INSERT INTO sweeps (sweep_id, rule_type, tickers, request_json, combos, skipped,"
                " chunks, chunk_size, created_at) VALUES ('s1', 'RSI', 'ACME', '{}', 2, 0, 1, 2,"
                " :created_at)"
            ),
            stamp,
        )
        for chunk_id, sweep_id, chunk_no in (("s1-0", "s1", 0), ("gone-0", "gone", 0)):
            c.execute(
                text(
                    "INSERT INTO sweep_chunks (chunk_id, sweep_id, chunk_no, ticker, combo_first,"
                    " combo_count, payload_json, status, queue, attempts, created_at) VALUES"
                    " (:chunk_id, :sweep_id, :chunk_no, 'ACME', 0, 2, '{}', 'SUCCEEDED',"
                    " 'backtests', 1, :created_at)"
                ),
                {"chunk_id": chunk_id, "sweep_id": sweep_id, "chunk_no": chunk_no, **stamp},
            )
        for combo_no in (0, 1):
            c.execute(
                text(
                    "INSERT INTO sweep_results (sweep_id, combo_no, chunk_no, ticker, params_json,"
                    " total_return_pct, num_trades) VALUES ('s1', :n, 0, 'ACME', '{}', 1.5, 3)"
                ),
                {"n": combo_no},
            )


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(engine):
    """After ``upgrade`` the database and the models differ in nothing autogenerate sees."""
    line = upgrade(engine)
    assert f"revision none -> {head_revision()}" in line
    assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
    assert _schema_diff(engine) == []


def test_a_database_made_by_the_old_init_db_is_adopted_and_keeps_its_rows(engine):
    """Baseline tables without history are stamped at the baseline, then upgraded: every
    row whose sweep exists survives, the foreign keys are in place and only the tables of
    later revisions (api_tokens) are created."""
    _legacy_init_db(engine)
    _insert_one_row_per_table(engine)

    line = upgrade(engine)

    assert f"(adopted at {BASELINE}) -> {head_revision()}" in line
    added_since_baseline = sorted(set(Base.metadata.tables) - BASELINE_TABLES)
    assert f"created tables: {', '.join(added_since_baseline)};" in line
    assert _schema_diff(engine) == []
    counts = {table: _count(engine, table) for table in sorted(BASELINE_TABLES)}
    assert counts == {
        "backtest_results": 1,
        "strategy_presets": 1,
        "sweep_chunks": 1,  # the chunk of sweep 'gone' could never be read: removed
        "sweep_results": 2,
        "sweeps": 1,
    }
    for table in ("sweep_chunks", "sweep_results"):
        keys = inspect(engine).get_foreign_keys(table)
        assert [(k["referred_table"], k["options"].get("ondelete")) for k in keys] == [
            ("sweeps", "CASCADE")
        ]


def test_upgrading_twice_changes_nothing(engine):
    """A second upgrade reports the schema already at head and creates no table."""
    upgrade(engine)
    second = upgrade(engine)
    assert second.endswith(f"revision {head_revision()} -> {head_revision()}")
    assert "created tables: none" in second


def test_deleting_a_sweep_deletes_its_chunks_and_results(engine):
    """The foreign keys cascade on both backends (SQLite enforces them: PRAGMA foreign_keys)."""
    _legacy_init_db(engine)
    _insert_one_row_per_table(engine)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM sweeps WHERE sweep_id = 's1'"))
    assert (_count(engine, "sweep_chunks"), _count(engine, "sweep_results")) == (0, 0)


def test_a_partial_schema_without_history_is_refused_untouched(engine):
    """Some platform tables but not all, and no history: not ours to guess; nothing changes."""
    with engine.begin() as connection:
        Base.metadata.tables["strategy_presets"].create(connection)
    with pytest.raises(UnknownSchemaError, match="strategy_presets but not"):
        upgrade(engine)
    assert set(inspect(engine).get_table_names()) == {"strategy_presets"}
