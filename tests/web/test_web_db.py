"""Tests for web/db.py: one session per request closed at teardown, and init-db."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import inspect, text

from store.migrate import head_revision
from store.models import Base
from web import create_app
from web.db import get_database, get_engine, get_session, image_tag, init_db


@pytest.fixture
def app(sqlite_url):
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url})
    yield app
    get_engine(app).dispose()


def test_session_is_one_per_request_and_closed_at_teardown(app):
    """get_session returns the same session within a request and closes it afterwards."""
    with app.test_request_context():
        session = get_session()
        assert get_session() is session
        assert session.execute(text("SELECT 1")).scalar() == 1
        assert session.in_transaction()
    assert not session.in_transaction()
    with app.test_request_context():
        assert "db_session" not in g
        assert get_session() is not session


def test_sessions_keep_values_after_commit(app):
    """The app's sessionmaker does not expire objects on commit (responses read them)."""
    assert get_database(app).sessionmaker.kw["expire_on_commit"] is False


ALL_TABLES = ", ".join(sorted(Base.metadata.tables))


def test_init_db_creates_the_tables_then_reports_them_present(app):
    """init_db migrates an empty database, creating every table once and saying so; a
    second call creates nothing and leaves the revision at head."""
    engine = get_engine(app)
    assert {"backtest_results", "strategy_presets"} <= set(Base.metadata.tables)
    first = init_db(engine)
    assert f"created tables: {ALL_TABLES}; already present: none; revision none -> " in first
    tables = set(inspect(engine).get_table_names())
    assert tables == {*Base.metadata.tables, "alembic_version"}
    second = init_db(engine)
    assert f"created tables: none; already present: {ALL_TABLES}; revision " in second
    assert second.endswith(f" -> {head_revision()}")


def test_init_db_hides_the_database_password(tmp_path):
    """The report names the database without its password."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    try:
        assert init_db(get_engine(app)).startswith(f"sqlite:///{tmp_path / 'x.sqlite3'}: ")
    finally:
        get_engine(app).dispose()


def test_init_db_cli_command_creates_the_schema(app):
    """``flask init-db`` is registered and prints what it created."""
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert f"created tables: {ALL_TABLES}" in result.output
    assert "strategy_presets" in inspect(get_engine(app)).get_table_names()


def test_app_creates_no_tables_by_itself(app):
    """Building the app and serving a request never creates the schema."""
    app.test_client().get("/health")
    assert inspect(get_engine(app)).get_table_names() == []


@pytest.mark.parametrize(("tag", "recorded"), [(None, None), ("", None), ("x" * 70, "x" * 64)])
def test_image_tag_is_cut_to_the_column_and_none_when_unset(app, tag, recorded):
    """IMAGE_TAG as rows record it: at most 64 characters; unset or empty is None."""
    app.config["IMAGE_TAG"] = tag
    with app.app_context():
        assert image_tag() == recorded
