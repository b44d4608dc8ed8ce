"""Server-side sessions and the throttle of refused tokens (``web.auth``, issue 23 items 7
and 12): signing out ends a session for every copy of its cookie, sessions fail closed
while Redis is away, and a client address that sends too many wrong tokens (bearer or
sign-in) is answered 429 until its window ends, without touching another address.

Real SQLite and Redis, as the other web tests."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.support import CLOSED_REDIS, close_app, serve, valid_request
from tests.web.support_auth import (
    TOKEN_MODE,
    bearer,
    form_csrf,
    new_token,
    revoke,
    sign_in,
    token_app,
)
from web.auth import FAILURE_KEY_PREFIX, FAILURE_WINDOW, FAILURES_ALLOWED, SESSION_KEY_PREFIX

PAGE = {"Accept": "text/html,*/*;q=0.8"}


WINDOW_MARGIN = 15
"""Seconds a test's attempts may take: the throttle counts in fixed windows of
FAILURE_WINDOW seconds (``web.windows``), so a test counting FAILURES_ALLOWED refusals in a
row starts with at least this long left in the current window (attempts split over two
windows would never reach the limit)."""


@pytest.fixture(autouse=True)
def _one_throttle_window() -> None:
    """Wait for the next throttle window when the current one is about to end."""
    left = FAILURE_WINDOW - time.time() % FAILURE_WINDOW
    if left < WINDOW_MARGIN:
        time.sleep(left + 0.05)


@pytest.fixture(scope="module")
def app_settings() -> dict[str, str]:
    """The module's app (``app``) in AUTH_MODE=token."""
    return TOKEN_MODE


@pytest.fixture
def token(app: Flask) -> str:
    """A live API token named "alice"."""
    return new_token(app, "alice")


def _copy_cookie(source: FlaskClient, target: FlaskClient) -> str:
    """Give ``target`` the session cookie of ``source`` (a stolen or copied cookie)."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)
    return cookie.value


def _session_id(app: Flask, cookie: str) -> str:
    """The session id inside a session cookie's value."""
    return app.session_interface.get_signing_serializer(app).loads(cookie)["sid"]


def test_a_copied_cookie_signs_in_no_more_after_sign_out(app, token):
    """A copy of the cookie works while the session lasts; after POST /logout the copy is
    401 for the API, a redirect to /login for a page, and cannot submit a run."""
    browser, thief = app.test_client(), app.test_client()
    csrf = sign_in(browser, token)
    _copy_cookie(browser, thief)
    assert thief.get("/api/runs").status_code == 200
    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert thief.get("/api/runs").status_code == 401
    submitted = thief.post("/run_backtest", json=valid_request(), headers={"X-CSRF-Token": csrf})
    assert submitted.status_code == 401
    page = thief.get("/runs", headers=PAGE)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_the_session_record_holds_the_token_id_not_the_session_id(app, token, redis):
    """One record per session in Redis, named by the id's digest (the id itself is nowhere
    in Redis), expiring with the cookie's signature; signing in again replaces it."""
    browser = app.test_client()
    sign_in(browser, token)
    session_id = _session_id(app, browser.get_cookie("session").value)
    (key,) = redis.keys(f"{SESSION_KEY_PREFIX}*")
    assert session_id not in key.decode()
    assert redis.get(key) == b"1"
    assert 0 < redis.ttl(key) <= app.permanent_session_lifetime.total_seconds()
    sign_in(browser, token)
    (again,) = redis.keys(f"{SESSION_KEY_PREFIX}*")
    assert again != key


def test_revoking_the_token_deletes_its_session_record(app, token, redis):
    """The session of a revoked token is refused at its next request and its record goes."""
    browser = app.test_client()
    sign_in(browser, token)
    assert len(redis.keys(f"{SESSION_KEY_PREFIX}*")) == 1
    revoke(app, "alice")
    assert browser.get("/api/runs").status_code == 401
    assert redis.keys(f"{SESSION_KEY_PREFIX}*") == []


def test_sessions_fail_closed_while_redis_is_away(app, token, data_dir, caplog):
    """A replica without Redis cannot check a session: its requests are 503 (never let
    through), signing in and out are 503 with the form (the session is kept, to sign out
    again); a bearer token still works there."""
    browser = app.test_client()
    csrf = sign_in(browser, token)
    for down in serve(token_app(app.config["DATABASE_URL"], CLOSED_REDIS, data_dir)):
        stranded = down.test_client()
        _copy_cookie(browser, stranded)
        with caplog.at_level(logging.ERROR, logger="web.auth"):
            refused = stranded.get("/api/runs")
        assert refused.status_code == 503
        assert refused.get_json()["error"].startswith("session store unavailable")
        assert "session not checked: Redis unavailable" in caplog.text
        assert stranded.post("/run_backtest", json=valid_request()).status_code == 503
        out = stranded.post("/logout", data={"csrf_token": csrf})
        assert out.status_code == 503
        assert "Signing out failed" in out.get_data(as_text=True)
        assert stranded.get_cookie("session").value == browser.get_cookie("session").value
        assert down.test_client().get("/api/runs", headers=bearer(token)).status_code == 200
        fresh = down.test_client()
        form = form_csrf(fresh.get("/login").get_data(as_text=True))
        signed = fresh.post("/login", data={"token": token, "csrf_token": form})
        assert signed.status_code == 503
        assert "Signing in is unavailable" in signed.get_data(as_text=True)
    assert browser.get("/api/runs").status_code == 200


def _wrong(client: FlaskClient, address: str) -> int:
    """The status of a run submitted with a wrong bearer token from ``address``."""
    response = client.post(
        "/run_backtest",
        json=valid_request(),
        headers=bearer("bt_wrong-token"),
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_the_eleventh_wrong_token_from_one_address_is_429(app, token, redis):
    """FAILURES_ALLOWED wrong tokens are 401; the next attempt from that address is 429
    with Retry-After (even with the right token: nothing is looked up), while another
    address still gets 401 for a wrong token and 202 for the right one."""
    client = app.test_client()
    assert [_wrong(client, "10.0.0.1") for _ in range(FAILURES_ALLOWED)] == [401] * 10
    refused = client.post(
        "/run_backtest",
        json=valid_request(),
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
        headers=bearer("bt_wrong-token"),
    )
    assert refused.status_code == 429
    assert refused.get_json()["field"] == "Authorization"
    assert refused.get_json()["error"].startswith("too many failed sign-ins: at most 10 per")
    assert 1 <= int(refused.headers["Retry-After"]) <= FAILURE_WINDOW
    right = {"headers": bearer(token), "environ_base": {"REMOTE_ADDR": "10.0.0.1"}}
    assert client.get("/api/runs", **right).status_code == 429
    assert _wrong(client, "10.0.0.2") == 401
    other = {"headers": bearer(token), "environ_base": {"REMOTE_ADDR": "10.0.0.2"}}
    assert client.post("/run_backtest", json=valid_request(), **other).status_code == 202
    assert redis.keys(f"{FAILURE_KEY_PREFIX}addr:10.0.0.1:*")


def test_successful_requests_use_up_no_failures(app, token):
    """Many requests with the right token, then FAILURES_ALLOWED wrong ones: all 401, the
    next one 429 (only refusals count)."""
    client = app.test_client()
    here = {"headers": bearer(token), "environ_base": {"REMOTE_ADDR": "10.0.0.3"}}
    for _ in range(3 * FAILURES_ALLOWED):
        assert client.get("/api/runs", **here).status_code == 200
    assert [_wrong(client, "10.0.0.3") for _ in range(FAILURES_ALLOWED)] == [401] * 10
    assert _wrong(client, "10.0.0.3") == 429


def test_wrong_tokens_from_an_address_do_not_lock_out_a_working_token(app, token, redis):
    """A token that has worked once from 10.0.0.7; then FAILURES_ALLOWED + 5 different
    wrong tokens from there: the guesses past the limit are 429 without a look-up, while
    the working token is still accepted there (bearer and sign-in); revoked, its own
    refusals lock it out too."""
    client = app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "10.0.0.7"}}
    assert client.get("/api/runs", headers=bearer(token), **here).status_code == 200
    guesses = [
        client.get("/api/runs", headers=bearer(f"bt_guess-{n}"), **here).status_code
        for n in range(FAILURES_ALLOWED + 5)
    ]
    assert guesses == [401] * FAILURES_ALLOWED + [429] * 5
    assert client.get("/api/runs", headers=bearer(token), **here).status_code == 200
    assert client.get("/api/runs", headers=bearer("bt_guess-new"), **here).status_code == 429
    sign_in(client, token, **here)
    assert client.get("/api/runs", **here).status_code == 200
    assert redis.keys(f"{FAILURE_KEY_PREFIX}addr:10.0.0.7:*")
    assert not redis.keys(f"*{token}*")  # the credential is keyed by a digest only


def test_a_known_token_once_revoked_is_throttled_by_its_own_refusals(app, token, redis):
    """A token accepted before, then revoked, from an address over its limit: looked up
    (401) until it has FAILURES_ALLOWED refusals of its own, then 429."""
    from store.tokens import find_token, revoke_token
    from web.db import get_database

    client = app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "10.0.0.8"}}
    assert client.get("/api/runs", headers=bearer(token), **here).status_code == 200
    for n in range(FAILURES_ALLOWED):
        client.get("/api/runs", headers=bearer(f"bt_guess-{n}"), **here)
    with get_database(app).sessionmaker.begin() as session:
        assert revoke_token(session, find_token(session, token).name)
    statuses = [
        client.get("/api/runs", headers=bearer(token), **here).status_code
        for _ in range(FAILURES_ALLOWED + 1)
    ]
    assert statuses == [401] * FAILURES_ALLOWED + [429]


def test_wrong_sign_ins_are_throttled_with_the_form(app, token):
    """Wrong tokens posted to /login count too: the eleventh attempt is 429 with the form
    and Retry-After, and signs nobody in; another address signs in."""
    client = app.test_client()
    here = {"environ_base": {"REMOTE_ADDR": "10.0.0.4"}}
    csrf = form_csrf(client.get("/login", **here).get_data(as_text=True))
    wrong = {"token": "bt_wrong", "csrf_token": csrf}
    for _ in range(FAILURES_ALLOWED):
        assert client.post("/login", data=wrong, **here).status_code == 401
    refused = client.post("/login", data={"token": token, "csrf_token": csrf}, **here)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= FAILURE_WINDOW
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert client.get("/api/runs", **here).status_code == 401
    elsewhere = app.test_client()
    sign_in(elsewhere, token, environ_base={"REMOTE_ADDR": "10.0.0.5"})


def test_behind_a_proxy_the_throttle_counts_the_forwarded_address(sqlite_url, redis_url, data_dir):
    """With PROXY_FIX_HOPS=1 each X-Forwarded-For client has its own count, not the proxy."""
    for app in serve(token_app(sqlite_url, redis_url, data_dir, PROXY_FIX_HOPS=1)):
        client = app.test_client()
        statuses = [
            client.get("/api/runs", headers={**bearer("bt_wrong"), "X-Forwarded-For": address})
            for address in ["203.0.113.5"] * (FAILURES_ALLOWED + 1) + ["203.0.113.6"]
        ]
        assert [response.status_code for response in statuses][-3:] == [401, 429, 401]


def test_the_throttle_fails_open_while_redis_is_away(sqlite_url, data_dir, caplog):
    """Without Redis wrong tokens are still refused 401 (never 429 or 500), with a warning."""
    app = token_app(sqlite_url, CLOSED_REDIS, data_dir)
    try:
        client = app.test_client()
        with caplog.at_level(logging.WARNING, logger="web.auth"):
            statuses = [_wrong(client, "10.0.0.6") for _ in range(FAILURES_ALLOWED + 2)]
        assert statuses == [401] * (FAILURES_ALLOWED + 2)
        assert "failed tokens not throttled: Redis unavailable" in caplog.text
    finally:
        close_app(app)


def test_the_numbers_are_the_documented_ones():
    """docs/security.md states 10 refused tokens per minute per address."""
    doc = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    text = " ".join(doc.replace("**", "").split())
    assert (FAILURES_ALLOWED, FAILURE_WINDOW) == (10, 60)
    assert "10 refused tokens per minute" in text
