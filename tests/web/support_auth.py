"""Helpers of the access-control tests (no tests here): an app in AUTH_MODE=token, API tokens
made in its database, and signing a test client in through the /login form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from store.tokens import create_token, revoke_token
from tests.web.support import app_with_schema
from web.db import get_database

SECRET_KEY = "test-secret-key-" + "x" * 32
"""A SECRET_KEY long enough for the setting (32 characters or more)."""

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


TOKEN_MODE = {"AUTH_MODE": "token", "SECRET_KEY": SECRET_KEY}
"""The settings of an app in AUTH_MODE=token."""


def token_app(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> Flask:
    """The platform's app in AUTH_MODE=token with its schema (``app_with_schema``)."""
    return app_with_schema(database_url, redis_url, data_dir, **TOKEN_MODE, **overrides)


def new_token(app: Flask, name: str, scope: str = "user") -> str:
    """A live API token named ``name`` of ``scope`` ("user" or "admin") in the app's
    database."""
    with get_database(app).sessionmaker.begin() as session:
        _, token = create_token(session, name, scope)
    return token


def revoke(app: Flask, name: str) -> None:
    """Revoke the token named ``name``."""
    with get_database(app).sessionmaker.begin() as session:
        assert revoke_token(session, name)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of ``token``."""
    return {"Authorization": f"Bearer {token}"}


def form_csrf(html: str) -> str:
    """The CSRF token in a page's form."""
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def sign_in(client: FlaskClient, token: str, **kwargs: Any) -> str:
    """Sign ``client`` in with ``token`` through the form; the session's CSRF token."""
    csrf = form_csrf(client.get("/login", **kwargs).get_data(as_text=True))
    response = client.post("/login", data={"token": token, "csrf_token": csrf}, **kwargs)
    assert response.status_code == 303, response.get_data(as_text=True)
    return form_csrf(client.get("/", **kwargs).get_data(as_text=True))
