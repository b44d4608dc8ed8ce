"""Tests for web/errors.py: every error is JSON, 500s hide the stack trace and name the run."""

from __future__ import annotations

import logging

import pytest
from flask import Flask, request
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError

from web import errors
from web.errors import ApiError, bad_request, remember_run_id
from work.errors import RequestError

SECRET = "s3cret-detail-in-the-exception"


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.config["MAX_CONTENT_LENGTH"] = 10
    errors.init_app(app)

    @app.post("/boom")
    def boom():
        raise RuntimeError(SECRET)

    @app.get("/boom-run")
    def boom_run():
        remember_run_id("run-123")
        raise KeyError(SECRET)

    @app.get("/api-error")
    def api_error():
        raise ApiError(422, "is odd", field="x", hint="try again")

    @app.post("/echo")
    def echo():
        return {"bytes": len(request.get_data())}

    @app.get("/database")
    def database():
        raise OperationalError("SELECT 1", {}, Exception(SECRET))

    @app.get("/queue")
    def queue():
        remember_run_id("run-9")
        raise RedisConnectionError(SECRET)

    return app


@pytest.fixture
def client(app):
    return app.test_client()


def test_unexpected_exception_is_500_internal_error_without_details(client, caplog):
    """A bug answers 500 {"error": "internal error"}; the trace is logged, never sent."""
    with caplog.at_level(logging.ERROR, logger="web.errors"):
        response = client.post("/boom")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error"}
    assert SECRET.encode() not in response.data
    assert b"Traceback" not in response.data
    assert any(SECRET in (record.exc_text or "") for record in caplog.records)


def test_unexpected_exception_names_the_known_run(client):
    """When the request already knew its run, the 500 answer names it."""
    response = client.get("/boom-run")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error", "run_id": "run-123"}


def test_api_error_answers_its_code_and_fields(client):
    """An ApiError becomes its status code with error, field and extra keys."""
    response = client.get("/api-error")
    assert response.status_code == 422
    assert response.get_json() == {"error": "is odd", "field": "x", "hint": "try again"}


def test_unreachable_database_is_503(client):
    """An OperationalError escaping a view is a 503 "database unavailable" without details."""
    response = client.get("/database")
    assert response.status_code == 503
    assert response.get_json() == {"error": "database unavailable"}
    assert SECRET.encode() not in response.data


def test_unreachable_queue_is_503_naming_the_run(client):
    """A Redis error escaping a view is a 503 "queue unavailable" with the known run id."""
    response = client.get("/queue")
    assert response.status_code == 503
    assert response.get_json() == {"error": "queue unavailable", "run_id": "run-9"}


@pytest.mark.parametrize(
    ("method", "path", "code", "message"),
    [
        ("get", "/no/such/page", 404, "not found"),
        ("get", "/boom", 405, "method not allowed"),
        ("post", "/api-error", 405, "method not allowed"),
    ],
)
def test_http_errors_are_json(client, method, path, code, message):
    """Routing errors are JSON with a short message."""
    response = getattr(client, method)(path)
    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": message}


def test_405_keeps_the_allow_header(client):
    """A 405 still says which methods are allowed."""
    response = client.get("/boom")
    assert "POST" in response.headers["Allow"]


def test_too_large_body_is_413_json(client):
    """A body over MAX_CONTENT_LENGTH is a JSON 413 once the view reads it."""
    assert client.post("/echo", data=b"x" * 10).get_json() == {"bytes": 10}
    response = client.post("/echo", data=b"x" * 11)
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body too large (the limit is 10 bytes)"}


def test_bad_request_is_a_400_naming_the_refused_field():
    """A contract's RequestError becomes the 400 ``{"error": message, "field": field}``."""
    error = bad_request(RequestError("params.fast", "must be an integer"))
    assert error.code == 400
    assert error.to_dict() == {"error": "must be an integer", "field": "params.fast"}
