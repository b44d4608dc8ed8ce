"""``store.dbapi``: a Job's plain DBAPI connection reads DATABASE_URL as SQLAlchemy does, and
what its statements write is what the ORM reads back (SQLite and MariaDB), so the web and a
Job can share one table through two drivers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymysql.converters import escape_string
from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from kinds.runs.contract import RunRequest, parse_request
from kinds.runs.state import mark_running, mark_succeeded, stored_run
from kinds.runs.store import get_run, insert_pending
from store.db import create_schema, make_engine, make_sessionmaker
from store.dbapi import Database, DriverError, connect_args, escape_text
from tests.consumer.support import QUICK_RUN
from work.retry import is_disconnect, retry_transaction
from work.status import RunStatus

URLS = [
    "mysql+pymysql://root@127.0.0.1:3306/test",
    "mysql+pymysql://backtest:p%40ss%3Aw0rd@mysql:3307/backtest?charset=utf8mb4",
    "mysql+pymysql://u:pw@db.example/prod?ssl_ca=/etc/ca.pem&ssl_cert=/c.pem&ssl_key=/k.pem",
    "mysql+pymysql://u@localhost/x?unix_socket=/run/mysqld/mysqld.sock",
]


@pytest.mark.parametrize("url", URLS)
def test_a_mysql_url_gives_the_connect_arguments_sqlalchemys_dialect_gives(url):
    """User, password (URL-decoded), host, port, database, charset, socket and TLS files are
    read exactly as SQLAlchemy's PyMySQL dialect reads them; only the timeouts are added."""
    _, expected = MySQLDialect_pymysql().create_connect_args(make_url(url))
    ours = connect_args(url)
    assert ours.dialect == "mysql"
    added = {"connect_timeout", "read_timeout", "write_timeout"}
    assert {k: v for k, v in ours.kwargs.items() if k not in added} == {
        k: v for k, v in expected.items() if k != "client_flag"
    }


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("postgresql://u@h/db", "scheme 'postgresql'"),
        ("mysql+pymysql://u@h/db?pool_size=5", "option 'pool_size'"),
    ],
)
def test_a_url_the_jobs_driver_cannot_serve_is_refused_by_name(url, field):
    with pytest.raises(ValueError, match=field):
        connect_args(url)


@contextmanager
def pending_run(url: str) -> Iterator[tuple[sessionmaker, RunRequest, Database]]:
    """A fresh schema at ``url`` with one PENDING run inserted through the ORM, and a Job's
    plain ``Database`` on the same URL (both closed after)."""
    engine = make_engine(url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    request = parse_request(QUICK_RUN)
    with sessions.begin() as session:
        insert_pending(session, request, "test")
    database = Database(url)
    try:
        yield sessions, request, database
    finally:
        database.close()
        engine.dispose()


def _run_row_through_both_drivers(url: str) -> None:
    with pending_run(url) as (sessions, request, database):
        with database.transaction() as tx:
            assert mark_running(tx, request.run_id, "pod:1")
            assert not mark_running(tx, "no-such-run", "pod:1")
            item = stored_run(tx, request.run_id)
        assert (item.status, item.attempts) == (RunStatus.RUNNING, 1)
        assert item.message() == request.to_dict()
        with database.transaction() as tx:
            stored = mark_succeeded(
                tx,
                request.run_id,
                result_json="{}",
                metrics={"sharpe_ratio": 1.5},
                data_hash="h",
                engine_version="1.0.0",
            )
            assert stored
        with sessions() as session:  # the ORM reads what the plain driver wrote
            row = get_run(session, request.run_id)
            assert row.status == RunStatus.SUCCEEDED and row.attempts == 1
            assert row.worker == "pod:1" and row.metrics_json == '{"sharpe_ratio": 1.5}'
            assert row.created_at <= row.started_at <= row.completed_at


def test_a_jobs_plain_statements_round_trip_through_the_orm_on_sqlite(sqlite_url):
    """Timestamps written as text by sqlite3 are the ORM's DateTime format."""
    _run_row_through_both_drivers(sqlite_url)


@pytest.mark.mysql
def test_a_jobs_plain_statements_round_trip_through_the_orm_on_mariadb(empty_mysql_url):
    _run_row_through_both_drivers(empty_mysql_url)


def test_a_transaction_that_raises_is_rolled_back(sqlite_url):
    with pending_run(sqlite_url) as (_, request, database):
        with pytest.raises(RuntimeError), database.transaction() as tx:
            assert mark_running(tx, request.run_id, "pod:1")
            raise RuntimeError("the work failed")
        with database.transaction() as tx:
            assert stored_run(tx, request.run_id).status == RunStatus.PENDING


def test_a_refused_connection_is_a_disconnect_the_retry_policy_waits_out():
    """Nothing listens on port 1: PyMySQL's 2003 becomes a ``DriverError`` that
    ``work.retry`` classifies as a lost connection and retries until its budget ends."""
    database = Database("mysql+pymysql://root@127.0.0.1:1/test")
    attempts = []

    def call():
        attempts.append(1)
        with database.transaction() as tx:
            return tx.execute("SELECT 1")

    with pytest.raises(Exception) as raised:
        retry_transaction(call, budget_s=1.0, sleep=lambda _: None)
    cause = raised.value.__cause__
    assert isinstance(cause, DriverError) and is_disconnect(cause)
    assert len(attempts) >= 2


@given(
    st.text(alphabet=st.sampled_from(["\\", "\0", "\n", "\r", "\032", '"', "'", "a", "é", "😀"]))
)
def test_a_strings_escape_is_pymysqls_to_the_character(value):
    """``escape_text`` (str.replace chains) writes exactly what PyMySQL's table does."""
    assert escape_text(value) == escape_string(value)


@given(st.text())
def test_any_text_escapes_as_pymysql_escapes_it(value):
    assert escape_text(value) == escape_string(value)


@pytest.mark.mysql
def test_a_result_with_every_special_character_is_stored_and_read_back_intact(empty_mysql_url):
    """Through the Job's connection and back through the ORM, byte for byte."""
    nasty = "quotes \" and ' backslash \\ nul \0 newline \n return \r ctrl-z \032 é 😀"
    with pending_run(empty_mysql_url) as (sessions, request, database):
        with database.transaction() as tx:
            assert mark_running(tx, request.run_id, "pod:1")
            assert mark_succeeded(
                tx, request.run_id, result_json=nasty, metrics={}, data_hash=None,
                engine_version=None,
            )  # fmt: skip
        with sessions() as session:
            assert get_run(session, request.run_id).result_json == nasty
