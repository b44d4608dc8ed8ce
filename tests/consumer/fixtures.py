"""Fixtures for tests that run consumer processes against MariaDB and Redis (the consumer and
sweep-chunk tests), registered for the whole suite by ``pytest_plugins`` in
tests/conftest.py: the processes' environment, a sessionmaker and the RQ queue on it."""

from __future__ import annotations

import pytest

from tests.consumer.support import consumer_env, queue_for, sessions_for


@pytest.fixture
def env(mysql_url, redis_url, tmp_path, monkeypatch) -> dict:
    """The environment of a consumer process: a fresh queue, the test database and Redis."""
    return consumer_env(mysql_url, redis_url, tmp_path, monkeypatch)


@pytest.fixture
def sessions(env):
    """A sessionmaker on the consumer's database; its engine's connections are closed after
    the test (not left to the garbage collector, whose unclosed-socket warning is an error)."""
    maker = sessions_for(env)
    yield maker
    maker.kw["bind"].dispose()


@pytest.fixture
def queue(env):
    """The consumer's RQ queue (JSON serializer)."""
    return queue_for(env)
