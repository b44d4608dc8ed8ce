"""Database access for the web tier: one engine and sessionmaker per app, one session per
request (kept on ``g``, closed at teardown), a session of its own for a streamed body (which
runs after that teardown), and the ``init-db`` command.

Schema changes are an explicit operator step (``python -m web init-db``,
``flask --app web init-db`` or ``alembic upgrade head``: the same Alembic migrations,
``store.migrate``); the app never changes the schema on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import click
from flask import Flask, current_app, g, stream_with_context
from flask.cli import with_appcontext
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_sessionmaker

T = TypeVar("T")

EXTENSION = "web.db"
"""Key of this app's ``Database`` in ``app.extensions``."""


@dataclass(frozen=True)
class Database:
    """An app's engine (its connection pool) and the sessionmaker bound to it."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


def get_database(app: Flask | None = None) -> Database:
    """The app's ``Database`` (``current_app`` when ``app`` is None)."""
    return (app or current_app).extensions[EXTENSION]


def get_engine(app: Flask | None = None) -> Engine:
    """The app's engine (``current_app`` when ``app`` is None)."""
    return get_database(app).engine


def image_tag() -> str | None:
    """The app's IMAGE_TAG as new rows record it: cut to the column's 64 characters, None
    when unset."""
    tag = current_app.config["IMAGE_TAG"]
    return str(tag)[:64] if tag else None


def get_session() -> Session:
    """The session of the current request, opened on first use.

    :return: a session that is closed when the app context ends.
    """
    if "db_session" not in g:
        g.db_session = get_database().sessionmaker()
    return g.db_session


@stream_with_context
def streamed_with_session(stream: Callable[[Session], Iterator[T]]) -> Iterator[T]:
    """A response body: ``stream(session)`` on a session of its own, run in the request's
    contexts (Flask's ``stream_with_context``) and closed when the stream ends or the client
    leaves it (the WSGI server closes the body). A streamed body runs after its view has
    returned and the request's session was closed at teardown: read through that session it
    would check a connection out again that nothing gives back. Call it in a view.

    After each piece the stream gives way (``time.sleep(0)``, which gevent's patching makes
    a switch to its hub): a long body never keeps the worker's other connections, nor
    gunicorn's heartbeat, waiting while a client reads fast."""
    session = get_database().sessionmaker()
    try:
        for piece in stream(session):
            yield piece
            time.sleep(0)
    finally:
        session.close()


def close_session(_error: BaseException | None = None) -> None:
    """Close the request's session, if one was opened (returns its connection to the pool)."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_db(engine: Engine) -> str:
    """Create or upgrade the schema with the migrations (``store.migrate.upgrade``).

    :return: one line saying what was done.
    """
    from store.migrate import upgrade  # Alembic is needed only by this command

    return upgrade(engine)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database schema, or upgrade it to the newest migration."""
    click.echo(init_db(get_engine()))


def init_app(app: Flask) -> None:
    """Give ``app`` its engine and sessionmaker, the session teardown and ``init-db``."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = Database(engine, make_sessionmaker(engine))
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)
