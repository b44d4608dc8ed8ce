"""Access control (``web.auth``, ``store.tokens``): AUTH_MODE=token refuses every mutating
route without a token (found by walking the app's URL map, so a route added later without
protection fails here), accepts a live bearer token or a signed-in session with its CSRF
token, stores tokens hashed, records who created a row, and AUTH_MODE=none stays open.

Real SQLite and Redis, as the other web tests."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from flask import Flask
from pydantic import ValidationError
from sqlalchemy import text

from tests import loopback
from tests.web.support import (
    app_with_schema,
    build_app,
    close_app,
    serve,
    valid_request,
    valid_sweep,
)
from tests.web.support_auth import (
    SECRET_KEY,
    TOKEN_MODE,
    bearer,
    form_csrf,
    new_token,
    revoke,
    sign_in,
    token_app,
)
from web.auth import OPEN_ENDPOINTS, OPEN_PATHS, SAFE_METHODS
from web.db import get_engine

PRESET = {"name": "fast cross", "payload": {"fast": 5}}
SAMPLE_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def app_settings() -> dict[str, str]:
    """The module's app (``app``) in AUTH_MODE=token, rq-dashboard mounted (its routes must
    be guarded too)."""
    return {**TOKEN_MODE, "RQ_DASHBOARD_ENABLED": "1"}


@pytest.fixture
def token(app: Flask) -> str:
    """A live API token named "alice"."""
    return new_token(app, "alice")


def _routes(app: Flask, *, mutating: bool) -> list[tuple[str, str]]:
    """(method, URL) of every route not on the open list: its non-safe methods, or GET."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS:
            continue
        values = {
            name: 1 if type(converter).__name__ == "IntegerConverter" else SAMPLE_ID
            for name, converter in rule._converters.items()
        }
        methods = rule.methods - SAFE_METHODS if mutating else rule.methods & {"GET"}
        for method in sorted(methods):
            found.append((method, adapter.build(rule.endpoint, values, method=method)))
    return found


def test_every_mutating_route_answers_401_without_a_token(app, client):
    """Each non-GET route of the URL map (today's and any added later) is refused 401
    naming Authorization, with a Bearer challenge, and nothing is recorded."""
    routes = _routes(app, mutating=True)
    assert {("POST", "/run_backtest"), ("POST", "/api/sweeps"), ("POST", "/api/strategies")} <= set(
        routes
    )
    assert ("DELETE", "/api/strategies/1") in routes
    for method, url in routes:
        response = client.open(url, method=method, json=valid_request())
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.get_json()["field"] == "Authorization", (method, url)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, url)
    with get_engine(app).connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM backtest_results")).scalar() == 0


def test_every_read_route_needs_a_token_but_the_probes(app, client):
    """GET routes answer 401 to an API client without a token (rq-dashboard's included);
    /health, /ready and /metrics stay open for probes and scraping."""
    routes = _routes(app, mutating=False)
    assert ("GET", "/rq/") in routes
    for _, url in routes:
        if url in OPEN_PATHS:
            continue
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 401, (url, response.status_code)
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code != 401
    assert client.get("/metrics").status_code == 200
    assert {"/health", "/ready", "/metrics"} == OPEN_PATHS
    assert client.get("/metrics").status_code != 401


def test_a_browser_is_sent_to_the_sign_in_page(client):
    """A page asked for by a browser without a session redirects to /login with next."""
    response = client.get("/runs?status=FAILED", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/runs?status%3DFAILED"
    rq = client.get("/rq/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert rq.status_code == 302 and rq.headers["Location"].startswith("/login")


def test_a_bearer_token_submits_runs_sweeps_and_presets_without_csrf(client, token):
    """With a live token: run 202, sweep 202, preset 201 then deleted 204; each records
    the token's name as created_by."""
    for url, body, listing, key in (
        ("/run_backtest", valid_request(), "/api/runs", "runs"),
        ("/api/sweeps", valid_sweep(), "/api/sweeps", "sweeps"),
    ):
        submitted = client.post(url, json=body, headers=bearer(token))
        assert submitted.status_code == 202, submitted.get_json()
        status_url = submitted.get_json()["status_url"]
        assert client.get(status_url, headers=bearer(token)).get_json()["created_by"] == "alice"
        listed = client.get(listing, headers=bearer(token)).get_json()
        assert listed[key][0]["created_by"] == "alice"

    preset = client.post("/api/strategies", json=PRESET, headers=bearer(token))
    assert preset.status_code == 201
    assert preset.get_json()["created_by"] == "alice"
    deleted = client.delete(f"/api/strategies/{preset.get_json()['id']}", headers=bearer(token))
    assert deleted.status_code == 204


@pytest.mark.parametrize(
    "header",
    ["Bearer bt_not-a-real-token", "Bearer ", "Basic YWxpY2U6cHc=", "bt_no-scheme"],
)
def test_a_wrong_token_is_refused(client, token, header):
    """An unknown token, an empty one or another scheme: 401 invalid_token."""
    response = client.post("/run_backtest", json=valid_request(), headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid or revoked token", "field": "Authorization"}
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_revoked_token_is_refused_and_its_session_ends(app, client, token):
    """After revocation the bearer token is 401 and a session signed in with it is over."""
    browser = app.test_client()
    sign_in(browser, token)
    assert browser.get("/api/runs").status_code == 200
    revoke(app, "alice")
    response = client.post("/run_backtest", json=valid_request(), headers=bearer(token))
    assert response.status_code == 401
    assert browser.get("/api/runs").status_code == 401


def test_tokens_are_stored_hashed(app, token):
    """The table holds the token's SHA-256 digest, and the token appears in no column."""
    with get_engine(app).connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_tokens")).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in rows[0])
    assert token.startswith("bt_") and len(token) >= 40


def test_a_signed_in_session_needs_the_csrf_token_to_change_anything(app, client, token):
    """Cookie requests: without X-CSRF-Token 403 naming it, with a wrong one 403, with the
    session's one 202 (created_by recorded); a form post without csrf_token names that."""
    csrf = sign_in(client, token)
    missing = client.post("/run_backtest", json=valid_request())
    assert missing.status_code == 403
    assert missing.get_json() == {"error": "missing or invalid CSRF token", "field": "X-CSRF-Token"}
    wrong = client.post("/run_backtest", json=valid_request(), headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    accepted = client.post("/run_backtest", json=valid_request(), headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 202
    status = client.get(accepted.get_json()["status_url"]).get_json()
    assert status["created_by"] == "alice"
    form = client.delete("/api/strategies/1", data={"name": "x"})
    assert form.status_code == 403 and form.get_json()["field"] == "csrf_token"
    assert client.delete("/api/strategies/1", headers={"X-CSRF-Token": csrf}).status_code == 404


def test_pages_carry_the_csrf_token_for_their_scripts(client, token):
    """A signed-in page has the CSRF meta tag, the signed-in name and a sign-out form."""
    csrf = sign_in(client, token)
    html = client.get("/").get_data(as_text=True)
    assert f'<meta name="csrf-token" content="{csrf}">' in html
    assert 'id="signed-in-as">alice<' in html
    assert "<script>" not in html.replace('<script type="application/json"', "")


def test_sign_in_refuses_a_wrong_token_and_a_missing_csrf_token(client, token):
    """A wrong token: 401 with the form again; no CSRF token: 403; neither signs in."""
    page = client.get("/login")
    assert page.status_code == 200
    wrong = client.post("/login", data={"token": "bt_wrong", "csrf_token": "x"})
    assert wrong.status_code == 403
    csrf = form_csrf(page.get_data(as_text=True))
    bad = client.post("/login", data={"token": "bt_wrong", "csrf_token": csrf})
    assert bad.status_code == 401
    assert "Invalid or revoked token." in bad.get_data(as_text=True)
    assert client.get("/api/runs").status_code == 401


def test_sign_in_goes_back_to_a_local_page_only(client, token):
    """``next`` is followed when it is a local path; another site is replaced by /."""
    csrf = sign_in(client, token)
    for target, expected in (
        ("/runs", "/runs"),
        ("//evil.example", "/"),
        ("https://e.x", "/"),
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
    ):
        response = client.post("/login", data={"token": token, "csrf_token": csrf, "next": target})
        assert response.headers["Location"] == expected
        csrf = sign_in(client, token)


def test_sign_out_ends_the_session(client, token):
    """POST /logout with the CSRF token signs out; without it nothing changes."""
    csrf = sign_in(client, token)
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/api/runs").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/api/runs").status_code == 401


def _session_cookie(response) -> str:
    (cookie,) = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(client, token, app):
    """HttpOnly and SameSite=Lax always; Secure over HTTPS only (SESSION_COOKIE_SECURE
    unset)."""
    plain = _session_cookie(client.get("/login"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = _session_cookie(app.test_client().get("/login", base_url="https://localhost"))
    assert "Secure" in secure and "HttpOnly" in secure


def test_behind_a_tls_proxy_the_cookie_is_secure(sqlite_url, redis_url, data_dir):
    """PROXY_FIX_HOPS=1 trusts X-Forwarded-Proto: https; SESSION_COOKIE_SECURE=1 forces it."""
    for overrides, headers in (
        ({"PROXY_FIX_HOPS": 1}, {"X-Forwarded-Proto": "https"}),
        ({"SESSION_COOKIE_SECURE": True}, {}),
    ):
        app = token_app(sqlite_url, redis_url, data_dir, **overrides)
        try:
            cookie = _session_cookie(app.test_client().get("/login", headers=headers))
            assert "Secure" in cookie, overrides
        finally:
            close_app(app)


def test_token_mode_refuses_to_start_without_a_secret_key(sqlite_url, redis_url, data_dir):
    """AUTH_MODE=token without SECRET_KEY (or a short one), or an unknown AUTH_MODE, is a
    start-up error naming the setting and echoing no value (URLs hold passwords)."""
    with pytest.raises(ValidationError, match="SECRET_KEY is required"):
        build_app(sqlite_url, redis_url, data_dir, AUTH_MODE="token")
    with pytest.raises(ValidationError, match="secret_key") as refused:
        build_app(sqlite_url, redis_url, data_dir, AUTH_MODE="token", SECRET_KEY="short-secret")
    assert "short-secret" not in str(refused.value)
    with pytest.raises(ValidationError) as without_key:
        build_app(sqlite_url, "redis://:hunter2@127.0.0.1:1/0", data_dir, AUTH_MODE="token")
    assert "hunter2" not in str(without_key.value)
    with pytest.raises(ValidationError, match="auth_mode"):
        build_app(sqlite_url, redis_url, data_dir, AUTH_MODE="tokens", SECRET_KEY=SECRET_KEY)


def test_mode_none_is_open_and_records_no_creator(sqlite_url, redis_url, data_dir):
    """AUTH_MODE=none (the default): no token, no cookie, created_by null, /login goes to /."""
    for app in serve(app_with_schema(sqlite_url, redis_url, data_dir)):
        client = app.test_client()
        response = client.post("/run_backtest", json=valid_request())
        assert response.status_code == 202
        assert "Set-Cookie" not in response.headers
        assert client.get(response.get_json()["status_url"]).get_json()["created_by"] is None
        assert client.post("/api/strategies", json=PRESET).get_json()["created_by"] is None
        assert client.get("/login").headers["Location"] == "/"
        assert 'name="csrf-token"' not in client.get("/").get_data(as_text=True)


def test_an_unknown_route_without_a_token_reveals_nothing(client):
    """A path that does not exist answers 401 like one that does (no route probing)."""
    assert client.post(f"/api/{uuid.uuid4().hex}").status_code == 401


@pytest.mark.mysql
def test_on_mariadb_a_token_submits_records_created_by_and_is_revoked(
    mysql_url, redis_url, data_dir
):
    """The same on MariaDB (migration 0004's table and columns): a bearer submission and a
    preset record the token's name; once revoked the token is refused."""
    app = token_app(mysql_url, redis_url, data_dir)
    try:
        name = f"maria-{uuid.uuid4().hex[:8]}"
        token = new_token(app, name)
        client = app.test_client()
        run = client.post("/run_backtest", json=valid_request(), headers=bearer(token))
        assert run.status_code == 202
        status = client.get(run.get_json()["status_url"], headers=bearer(token)).get_json()
        assert status["created_by"] == name
        preset = client.post("/api/strategies", json=PRESET, headers=bearer(token)).get_json()
        assert preset["created_by"] == name
        revoke(app, name)
        assert client.get("/api/runs", headers=bearer(token)).status_code == 401
    finally:
        close_app(app)


def test_rq_dashboard_posts_need_a_same_origin_browser(app, client):
    """rq-dashboard's scripts send no CSRF token: a signed-in POST passes when the browser
    marks it same-origin, and is 403 otherwise (an admin's session: only admins reach it)."""
    csrf = sign_in(client, new_token(app, "root", "admin"))
    queued = client.post("/run_backtest", json=valid_request(), headers={"X-CSRF-Token": csrf})
    assert queued.status_code == 202  # rq-dashboard's compact needs a queue that exists
    url = f"/rq/queue/{app.config['RQ_QUEUE']}/compact"
    assert client.post(url).status_code == 403
    assert client.post(url, headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.post(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(url, headers={"Origin": "http://localhost"}).status_code == 200
    assert client.post(url, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert (
        client.post(
            "/run_backtest", json=valid_request(), headers={"Sec-Fetch-Site": "same-origin"}
        ).status_code
        == 403
    )


def test_the_bulk_client_sends_backtest_token(app, token, monkeypatch):
    """scripts.bulk_client.ApiClient sends BACKTEST_TOKEN as a bearer token: 202 with it,
    401 without."""
    from scripts.bulk_client import ApiClient

    with loopback.wsgi(app) as base_url:
        monkeypatch.delenv("BACKTEST_TOKEN", raising=False)
        refused = ApiClient(base_url).request("POST", "/run_backtest", json=valid_request())
        assert refused.status_code == 401
        monkeypatch.setenv("BACKTEST_TOKEN", token)
        accepted = ApiClient(base_url).request("POST", "/run_backtest", json=valid_request())
        assert accepted.status_code == 202
