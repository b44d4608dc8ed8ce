"""Plain SQL on a database connection, for the statements a Job runs on its hot path.

A Kubernetes Job is one short process, and importing SQLAlchemy's Core and ORM costs about as
much CPU as the whole backtest (``bench.job_cost_bench``). So the few statements a queued
item needs — the guarded status transitions, reading its stored message, storing its outcome
(``kinds.runs.state``, ``kinds.sweeps.state``, ``work.transitions``) — are written once as SQL
text with ``?`` placeholders and run through a ``Tx``:

* in a Job, ``process_database().transaction()`` opens the process's own DBAPI connection
  (PyMySQL, or the standard library's sqlite3) from DATABASE_URL without importing
  SQLAlchemy;
* in the web, the reaper and the tests, ``as_tx(session)`` runs the same statements on an
  SQLAlchemy ``Session``'s connection, inside the caller's transaction.

Either way the caller owns the transaction and nothing here commits but
``Database.transaction``. A driver error becomes ``DriverError`` with the two attributes
``work.retry`` reads (``orig``, ``connection_invalidated``), the same as SQLAlchemy's
``DBAPIError``, so one retry policy serves both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from config import process

DEFAULT_SQLITE = Path(__file__).resolve().parents[1] / "var" / "backtests.sqlite3"
"""The embedded local default when DATABASE_URL is unset."""

MYSQL_TIMEOUTS = {"connect_timeout": 5, "read_timeout": 60, "write_timeout": 60}
"""Seconds a MySQL connect / a read / a write may hang before the driver gives up: a
database cut off by the network (packets dropped, not refused) fails the statement, and
``work.retry`` tries the transaction again, instead of a consumer hanging forever."""

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=30000", "PRAGMA foreign_keys=ON")
"""Set on every SQLite connection (SQLite enforces foreign keys only when asked)."""

SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy's SQLite dialect stores a DateTime; plain statements store the same text
so the ORM reads their timestamps back."""


def stored_datetime(value: datetime | str | None) -> datetime | None:
    """A DATETIME column as plain SQL reads it: PyMySQL gives a datetime, sqlite3 the text
    written in ``SQLITE_TIMESTAMP`` (or by SQLAlchemy, the same form)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def database_url() -> str:
    """DATABASE_URL, or the local SQLite file."""
    return process.DATABASE_URL.value() or f"sqlite:///{DEFAULT_SQLITE}"


class Increment(int):
    """A value that adds to the column's current value: ``attempts = attempts + 1``."""


class DriverError(Exception):
    """A database driver's error raised by a plain statement: ``orig`` is the driver's own
    exception, ``connection_invalidated`` says the connection is gone (it is dropped and the
    next transaction connects again)."""

    def __init__(self, orig: BaseException, connection_invalidated: bool) -> None:
        super().__init__(str(orig))
        self.orig = orig
        self.connection_invalidated = connection_invalidated


class Tx(Protocol):
    """Plain SQL (``?`` placeholders) inside a transaction the caller owns."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the rows it matched."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement for every parameter row (one multi-row INSERT on MySQL)."""
        ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query as {column: value}, or None."""
        ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Every row of a query, as tuples in the query's column order."""
        ...


def _placeholders(sql: str, paramstyle: str) -> str:
    """``?`` placeholders in the driver's style (PyMySQL: ``%s``, with a literal ``%``
    doubled)."""
    if paramstyle == "qmark":
        return sql
    return sql.replace("%", "%%").replace("?", "%s")


def _param(value: Any, dialect: str) -> Any:
    if isinstance(value, datetime) and dialect == "sqlite":
        return value.strftime(SQLITE_TIMESTAMP)
    return value


def _params(params: Sequence[Any], dialect: str) -> tuple:
    return tuple(_param(value, dialect) for value in params)


@dataclass
class DbapiTx:
    """A ``Tx`` on a DBAPI connection (the Job's own)."""

    connection: Any
    dialect: str  # "mysql" or "sqlite"
    paramstyle: str

    def _cursor(self):
        return self.connection.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = self._cursor()
        try:
            cursor.execute(_placeholders(sql, self.paramstyle), _params(params, self.dialect))
            return cursor.rowcount
        finally:
            cursor.close()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        cursor = self._cursor()
        try:
            cursor.executemany(
                _placeholders(sql, self.paramstyle), [_params(row, self.dialect) for row in rows]
            )
            return cursor.rowcount
        finally:
            cursor.close()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        cursor = self._cursor()
        try:
            cursor.execute(_placeholders(sql, self.paramstyle), _params(params, self.dialect))
            row = cursor.fetchone()
            if row is None:
                return None
            return dict(zip([column[0] for column in cursor.description], row, strict=True))
        finally:
            cursor.close()

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        cursor = self._cursor()
        try:
            cursor.execute(_placeholders(sql, self.paramstyle), _params(params, self.dialect))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()


@dataclass
class SessionTx:
    """A ``Tx`` on an SQLAlchemy ``Session`` (web, reaper, tests): the same statements in the
    session's transaction, after the session flushed what it holds (rows it added must
    exist for the UPDATE to find them). The session's loaded objects are not refreshed, as
    with the ``synchronize_session=False`` updates these statements replace."""

    session: Any

    def _connection(self):
        self.session.flush()
        connection = self.session.connection()
        dialect = "sqlite" if connection.dialect.name == "sqlite" else "mysql"
        return connection, dialect, connection.dialect.paramstyle

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        connection, dialect, style = self._connection()
        result = connection.exec_driver_sql(_placeholders(sql, style), _params(params, dialect))
        return result.rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        connection, dialect, style = self._connection()
        result = connection.exec_driver_sql(
            _placeholders(sql, style), [_params(row, dialect) for row in rows]
        )
        return result.rowcount

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        connection, dialect, style = self._connection()
        row = connection.exec_driver_sql(_placeholders(sql, style), _params(params, dialect))
        first = row.mappings().first()
        return None if first is None else dict(first)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        connection, dialect, style = self._connection()
        rows = connection.exec_driver_sql(_placeholders(sql, style), _params(params, dialect))
        return [tuple(row) for row in rows]


def as_tx(handle: Any) -> Tx:
    """``handle`` as a ``Tx``: a ``Tx`` as it is, an SQLAlchemy ``Session`` wrapped."""
    if isinstance(handle, DbapiTx | SessionTx):
        return handle
    return SessionTx(handle)


def update_sql(table: str, key_column: str, values: Mapping[str, Any]) -> tuple[str, list]:
    """``UPDATE table SET … WHERE key_column = ?``: its SQL and the SET part's parameters
    (an ``Increment`` adds to the column)."""
    assignments, params = [], []
    for column, value in values.items():
        if isinstance(value, Increment):
            assignments.append(f"{column} = {column} + ?")
            value = int(value)
        else:
            assignments.append(f"{column} = ?")
        params.append(value)
    return f"UPDATE {table} SET {', '.join(assignments)} WHERE {key_column} = ?", params


# -- the Job's own connection --------------------------------------------------------------


@dataclass(frozen=True)
class ConnectArgs:
    """What a DATABASE_URL names, in a driver's terms."""

    dialect: str  # "mysql" or "sqlite"
    kwargs: dict[str, Any] = field(default_factory=dict)


SSL_QUERY_KEYS = {"ssl_ca": "ca", "ssl_cert": "cert", "ssl_key": "key", "ssl_capath": "capath"}
"""URL query keys SQLAlchemy's PyMySQL dialect turns into PyMySQL's ``ssl`` dict."""


def connect_args(url: str) -> ConnectArgs:
    """The driver's connect arguments for an SQLAlchemy-style URL: ``sqlite:///path``
    (``sqlite:///:memory:``) or ``mysql+pymysql://user:password@host:port/db?charset=…``,
    read as SQLAlchemy's dialects read them (a test compares the two).

    :raise ValueError: a scheme or query option the Job's connection does not support.
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
        return ConnectArgs("sqlite", {"database": path or ":memory:"})
    if scheme not in ("mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"):
        raise ValueError(f"DATABASE_URL scheme {scheme!r}: use sqlite:/// or mysql+pymysql://")
    kwargs: dict[str, Any] = {"host": parts.hostname or "localhost", **MYSQL_TIMEOUTS}
    if parts.port:
        kwargs["port"] = parts.port
    if parts.username:
        kwargs["user"] = unquote(parts.username)
    if parts.password is not None:
        kwargs["password"] = unquote(parts.password)
    database = unquote(parts.path.lstrip("/"))
    if database:
        kwargs["database"] = database
    ssl: dict[str, str] = {}
    for key, value in parse_qsl(parts.query):
        if key in SSL_QUERY_KEYS:
            ssl[SSL_QUERY_KEYS[key]] = value
        elif key in ("charset", "unix_socket", "init_command"):
            kwargs[key] = value
        else:
            raise ValueError(f"DATABASE_URL option {key!r} is not supported by the Job's driver")
    if ssl:
        kwargs["ssl"] = ssl
    return ConnectArgs("mysql", kwargs)


def escape_text(value: str) -> str:
    """MySQL's backslash escapes of a string literal's body: the same text as PyMySQL's
    ``converters.escape_string`` (a test compares them), by one C-speed ``str.replace`` per
    special character instead of a per-character ``translate`` — a run's result JSON is
    ~0.75 MB of mostly quotes, and this cut its escaping from 14 ms to about 2."""
    return (
        value.replace("\\", "\\\\")
        .replace("\0", "\\0")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\032", "\\Z")
        .replace('"', '\\"')
        .replace("'", "\\'")
    )


@cache
def _mysql_connection_class() -> type:
    """PyMySQL's ``Connection`` with ``escape_text`` for strings (unless the server runs in
    NO_BACKSLASH_ESCAPES mode, where PyMySQL's own quoting applies)."""
    from pymysql.connections import Connection
    from pymysql.constants import SERVER_STATUS

    class FastEscapeConnection(Connection):
        def escape(self, obj, mapping=None):
            if type(obj) is str and not (
                self.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES
            ):
                return f"'{escape_text(obj)}'"
            return super().escape(obj, mapping)

    return FastEscapeConnection


def _connect(args: ConnectArgs) -> tuple[Any, str]:
    """A new DBAPI connection and its paramstyle."""
    if args.dialect == "sqlite":
        import sqlite3

        database = args.kwargs["database"]
        if database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are the explicit BEGIN … COMMIT of ``transaction``
        connection = sqlite3.connect(
            database, timeout=30, check_same_thread=False, isolation_level=None
        )
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        return connection, sqlite3.paramstyle
    from pymysql.constants import CLIENT

    # FOUND_ROWS: an UPDATE's rowcount counts the rows it matched, as under SQLAlchemy's
    # MySQL dialect (a guarded transition that matched its row reports 1).
    connection = _mysql_connection_class()(
        client_flag=CLIENT.FOUND_ROWS, autocommit=False, **args.kwargs
    )
    return connection, "format"


def _driver_errors(dialect: str) -> tuple[type[BaseException], ...]:
    if dialect == "sqlite":
        import sqlite3

        return (sqlite3.Error,)
    import pymysql

    return (pymysql.err.MySQLError,)


def _is_lost(exc: BaseException, dialect: str) -> bool:
    if dialect == "sqlite":
        return False
    import pymysql

    return isinstance(exc, pymysql.err.InterfaceError)


class Database:
    """One process's connection to DATABASE_URL, opened on first use and again after it was
    lost. Not shared between processes (``process_database``)."""

    def __init__(self, url: str | None = None) -> None:
        self.args = connect_args(url or database_url())
        self._connection: Any = None
        self._paramstyle = ""

    def close(self) -> None:
        """Close the connection (the next transaction opens a new one)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):  # already broken: nothing left to close
                connection.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction: committed when the block ends, rolled back when it raises. A
        driver error is raised as ``DriverError``; a lost connection is dropped."""
        errors = _driver_errors(self.args.dialect)
        try:
            if self._connection is None:
                self._connection, self._paramstyle = _connect(self.args)
            connection = self._connection
            if self.args.dialect == "sqlite":
                connection.execute("BEGIN")
            else:
                connection.begin()
            try:
                yield DbapiTx(connection, self.args.dialect, self._paramstyle)
                connection.commit()
            except BaseException:
                try:
                    connection.rollback()
                except errors:
                    self.close()
                raise
        except errors as exc:
            lost = _is_lost(exc, self.args.dialect)
            if lost or (exc.args or (None,))[0] in LOST_CONNECTION_CODES:
                self.close()
            raise DriverError(exc, connection_invalidated=lost) from exc


LOST_CONNECTION_CODES = (2006, 2013, 2055)
"""MySQL client codes after which the connection is unusable (gone away, lost, lost with a
system error): it is closed, and the next transaction connects again."""


_PROCESS_DATABASES: dict[int, Database] = {}


def process_database() -> Database:
    """The current process's ``Database`` for DATABASE_URL, made on first use.

    Keyed by pid: RQ's work-horse is a fork of the consumer, and a forked child must not
    share its parent's connection, so it gets its own.
    """
    pid = os.getpid()
    if pid not in _PROCESS_DATABASES:
        _PROCESS_DATABASES[pid] = Database()
    return _PROCESS_DATABASES[pid]
