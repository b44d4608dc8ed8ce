"""Database connections through SQLAlchemy (web, reaper, scaler, migrations): DATABASE_URL →
engine → sessionmaker, and schema creation for tests (operators migrate with
``store.migrate``). A Job's own connection is ``store.dbapi``'s, with the same URL, timeouts
and SQLite pragmas."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from store.dbapi import (  # noqa: F401  (DEFAULT_SQLITE, database_url: re-exported)
    DEFAULT_SQLITE,
    MYSQL_TIMEOUTS,
    SQLITE_PRAGMAS,
    database_url,
)
from store.models import Base


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default ``database_url()``), tuned for its backend."""
    url = url or database_url()
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_size=5,
        max_overflow=10,
        connect_args=MYSQL_TIMEOUTS if url.startswith("mysql") else {},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """One per process; sessions keep loaded values after commit (web responses use them)."""
    return sessionmaker(engine, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Create the models' missing tables and indexes in one step, for tests and benchmarks
    on a fresh database. Operators migrate instead (``store.migrate.upgrade``); the two
    give the same schema (``tests/store/test_migrations.py``)."""
    Base.metadata.create_all(engine)


_PROCESS_SESSIONS: dict[int, sessionmaker[Session]] = {}


def process_sessionmaker() -> sessionmaker[Session]:
    """The sessionmaker of the current process, built on first use from DATABASE_URL.

    Keyed by pid: RQ's work-horse is a fork of the consumer, and a forked child must not
    share its parent's pooled connections, so it gets its own engine.
    """
    pid = os.getpid()
    if pid not in _PROCESS_SESSIONS:
        _PROCESS_SESSIONS[pid] = make_sessionmaker(make_engine())
    return _PROCESS_SESSIONS[pid]
