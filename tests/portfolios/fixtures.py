"""Fixtures of the portfolio tests, registered for the whole suite by ``pytest_plugins`` in
tests/conftest.py (the client's and the bulk script's portfolio tests use them too): the app
on the shipped demo data and its URL on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask


@pytest.fixture
def demo_portfolio_app(sqlite_url: str, redis_url: str, demo_data_dir) -> Iterator[Flask]:
    """The app on SQLite and the test Redis with the shipped demo data."""
    from tests.portfolios.support import demo_app  # the web and the kind: only when used

    yield from demo_app(sqlite_url, redis_url, demo_data_dir)


@pytest.fixture
def demo_api_url(demo_portfolio_app: Flask) -> Iterator[str]:
    """``demo_portfolio_app`` served on a loopback port: its base URL."""
    from tests import loopback

    with loopback.wsgi(demo_portfolio_app) as url:
        yield url
