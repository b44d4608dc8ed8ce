"""Tests for the submission rate limit (web/ratelimit.py, SUBMIT_RATE_LIMIT): counted per
token in AUTH_MODE=token and per client address in AUTH_MODE=none, answered 429 with
Retry-After, shared through Redis, and failing open (no 500) when Redis is down."""

from __future__ import annotations

import logging

import pytest

from config import parse_rate
from tests.web.support import (
    CLOSED_REDIS,
    app_with_schema,
    close_app,
    valid_request,
    valid_sweep,
    valid_walkforward,
)
from tests.web.support_auth import bearer, new_token, token_app
from tests.web.support_dashboard import add_succeeded
from web.ratelimit import ANALYZE_KEY_PREFIX, KEY_PREFIX, SIMULATE_KEY_PREFIX


def submit(client, **kwargs) -> int:
    """The status of one run submission."""
    return client.post("/run_backtest", json=valid_request(), **kwargs).status_code


@pytest.fixture
def limited(sqlite_url, redis_url, data_dir):
    """An AUTH_MODE=token app allowing 2 submissions an hour per token."""
    app = token_app(sqlite_url, redis_url, data_dir, SUBMIT_RATE_LIMIT="2/hour")
    yield app
    close_app(app)


def test_the_third_submission_in_a_window_is_429_with_retry_after(limited, redis):
    """Runs and sweeps share the budget; the refusal names Authorization and says when."""
    token = new_token(limited, "alice")
    client = limited.test_client()
    assert (
        client.post("/run_backtest", json=valid_request(), headers=bearer(token)).status_code == 202
    )
    assert client.post("/api/sweeps", json=valid_sweep(), headers=bearer(token)).status_code == 202
    refused = client.post("/run_backtest", json=valid_request(), headers=bearer(token))
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["field"] == "Authorization"
    assert body["error"].startswith("too many submissions: at most 2 per hour")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    (key,) = redis.keys(f"{KEY_PREFIX}*")
    assert key.decode().startswith(f"{KEY_PREFIX}token:alice:3600:")


def test_each_token_has_its_own_budget_and_reads_are_not_counted(limited):
    """Another token still submits; GETs and presets never count."""
    alice, bob = new_token(limited, "alice"), new_token(limited, "bob")
    client = limited.test_client()
    for _ in range(3):
        client.get("/api/runs", headers=bearer(alice))
        client.post("/api/strategies", json={"name": "p", "payload": {}}, headers=bearer(alice))
    for _ in range(2):
        assert (
            client.post("/run_backtest", json=valid_request(), headers=bearer(alice)).status_code
            == 202
        )
    assert (
        client.post("/run_backtest", json=valid_request(), headers=bearer(alice)).status_code == 429
    )
    assert (
        client.post("/run_backtest", json=valid_request(), headers=bearer(bob)).status_code == 202
    )


def test_signal_analyses_have_their_own_budget_and_never_use_up_submissions(limited, redis):
    """The run form's validator asks the analyzer as the form changes: two analyses fill
    the analyzer's budget (the third is 429 "too many signal analyses") while both
    submissions of the window are still accepted."""
    token = new_token(limited, "alice")
    client = limited.test_client()
    body = {key: valid_request()[key] for key in ("ticker", "rule_type", "start_date", "end_date")}
    for _ in range(2):
        response = client.post("/api/analyze_signals", json=body, headers=bearer(token))
        assert response.status_code == 200, response.get_json()
    refused = client.post("/api/analyze_signals", json=body, headers=bearer(token))
    assert refused.status_code == 429
    assert refused.get_json()["error"].startswith("too many signal analyses: at most 2 per hour")
    for _ in range(2):
        assert submit(client, headers=bearer(token)) == 202
    assert submit(client, headers=bearer(token)) == 429
    assert [key.decode().split(":")[1] for key in sorted(redis.keys("ratelimit:*"))] == [
        ANALYZE_KEY_PREFIX.split(":")[1],
        KEY_PREFIX.split(":")[1],
    ]


def test_monte_carlo_simulations_have_their_own_budget(limited, redis):
    """A run's Monte Carlo costs web CPU on every call: two fill their own budget (the
    third is 429 "too many simulations" with Retry-After) and the submissions are untouched."""
    token = new_token(limited, "alice")
    run_id = add_succeeded(limited, created_by="alice")[0].run_id
    client = limited.test_client()
    url = f"/api/runs/{run_id}/montecarlo?paths=20"
    for _ in range(2):
        assert client.get(url, headers=bearer(token)).status_code == 200
    refused = client.get(url, headers=bearer(token))
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["error"].startswith("too many simulations: at most 2 per hour")
    assert submit(client, headers=bearer(token)) == 202
    assert [key.decode().split(":")[1] for key in sorted(redis.keys("ratelimit:*"))] == [
        SIMULATE_KEY_PREFIX.split(":")[1],
        KEY_PREFIX.split(":")[1],
    ]


def test_mode_none_counts_per_client_address(sqlite_url, redis_url, data_dir):
    """Without tokens the budget is the client address's; another address is not affected."""
    app = app_with_schema(sqlite_url, redis_url, data_dir, SUBMIT_RATE_LIMIT="1/hour")
    try:
        client = app.test_client()
        here = {"REMOTE_ADDR": "10.0.0.1"}
        assert (
            client.post("/run_backtest", json=valid_request(), environ_base=here).status_code == 202
        )
        refused = client.post("/run_backtest", json=valid_request(), environ_base=here)
        assert refused.status_code == 429 and refused.get_json()["field"] == "remote_addr"
        other = client.post(
            "/run_backtest", json=valid_request(), environ_base={"REMOTE_ADDR": "10.0.0.2"}
        )
        assert other.status_code == 202
    finally:
        close_app(app)


def test_no_limit_by_default(client):
    """SUBMIT_RATE_LIMIT unset: many submissions, none refused."""
    for _ in range(5):
        assert submit(client) == 202


def test_redis_down_fails_open_without_a_500(sqlite_url, data_dir, caplog):
    """With Redis unreachable the limit is skipped with a warning; the submission meets the
    outage at its enqueue (503 queue unavailable), never a 500."""
    app = app_with_schema(sqlite_url, CLOSED_REDIS, data_dir, SUBMIT_RATE_LIMIT="1/hour")
    try:
        with caplog.at_level(logging.WARNING, logger="web.ratelimit"):
            response = app.test_client().post("/run_backtest", json=valid_request())
        assert response.status_code == 503
        assert "rate limit not applied: Redis unavailable" in caplog.text
    finally:
        close_app(app)


def test_the_walkforward_check_counts_in_the_request_checks_budget(sqlite_url, redis_url, data_dir):
    """The walk-forward form asks its check as it changes: limited in the forms' checks'
    budget, never the submissions'."""
    app = app_with_schema(sqlite_url, redis_url, data_dir, SUBMIT_RATE_LIMIT="2/hour")
    route = "/api/schema/walkforward/validate"
    try:
        client = app.test_client()
        for _ in range(2):
            assert client.post(route, json=valid_walkforward()).status_code == 200
        refused = client.post(route, json=valid_walkforward())
        assert refused.status_code == 429
        assert refused.get_json()["error"].startswith("too many request checks: at most 2")
        assert submit(client) == 202
    finally:
        close_app(app)


@pytest.mark.parametrize("bad", ["60", "60 per minute", "0/minute", "5/week", "-1/second"])
def test_a_malformed_limit_is_refused_at_start_up(sqlite_url, redis_url, data_dir, bad):
    """SUBMIT_RATE_LIMIT must read <count>/<second|minute|hour|day>."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="submit_rate_limit"):
        app_with_schema(sqlite_url, redis_url, data_dir, SUBMIT_RATE_LIMIT=bad)
    assert parse_rate(" 5 / minute ") == (5, 60)


def test_the_forms_checks_have_a_budget_of_their_own(sqlite_url, redis_url, data_dir):
    """The run form asks POST /api/schema/run/validate as it changes: those checks read
    the data file, so they are limited, but in their own budget, never the submissions'."""
    app = app_with_schema(sqlite_url, redis_url, data_dir, SUBMIT_RATE_LIMIT="2/hour")
    try:
        client = app.test_client()
        for _ in range(2):
            assert client.post("/api/schema/run/validate", json=valid_request()).status_code == 200
        refused = client.post("/api/schema/run/validate", json=valid_request())
        assert refused.status_code == 429
        assert refused.get_json()["error"].startswith("too many request checks: at most 2")
        assert submit(client) == 202
    finally:
        close_app(app)
