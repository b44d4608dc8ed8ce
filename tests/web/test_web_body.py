"""Tests for web/body.py: decoding request bodies into a JSON object or a 400 on "body"."""

from __future__ import annotations

import json
import math

import pytest
from flask import Flask

from tests.web.support import app_with_schema, serve
from web.body import NOT_UNICODE, decode_json, json_object
from web.errors import ApiError


def test_decode_json_keeps_ordinary_numbers():
    """Integers that fit a float stay exact ints; floats stay floats."""
    assert decode_json(b'{"a": 12345678901234567890, "b": 1.5, "c": -7}') == {
        "a": 12345678901234567890,
        "b": 1.5,
        "c": -7,
    }


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("1" + "0" * 400, math.inf),
        ("-1" + "0" * 400, -math.inf),
        ("9" * 5000, math.inf),
        ("-" + "9" * 5000, -math.inf),
    ],
)
def test_decode_json_turns_integers_beyond_float_range_into_infinity(literal, expected):
    """Integers no float can hold decode as signed infinity (so validation rejects them)."""
    assert decode_json(literal.encode()) == expected


def test_decode_json_keeps_the_largest_integer_a_float_can_hold():
    """An integer just inside float range is not turned into infinity."""
    largest = int(1.7976931348623157e308)
    assert decode_json(str(largest).encode()) == largest


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff", b"[" * 200_000 + b"]" * 200_000])
def test_decode_json_raises_value_error_for_bad_documents(raw):
    """Invalid, undecodable and absurdly nested documents all raise ValueError."""
    with pytest.raises(ValueError):
        decode_json(raw)


@pytest.fixture
def app() -> Flask:
    return Flask(__name__)


@pytest.fixture
def platform(sqlite_url, redis_url, data_dir):
    """The platform's own app (``app`` here is a bare Flask app)."""
    yield from serve(app_with_schema(sqlite_url, redis_url, data_dir))


def test_json_object_returns_the_decoded_object(app):
    """A JSON object sent as application/json is returned as a dict."""
    with app.test_request_context(json={"x": [1, 2]}):
        assert json_object() == {"x": [1, 2]}


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b'{"x": 1}', "text/plain", "must be JSON (Content-Type: application/json)"),
        (b'{"x": 1', "application/json", "is not valid JSON"),
        (b"[]", "application/json", "must be a JSON object"),
        (b"null", "application/json", "must be a JSON object"),
    ],
)
def test_json_object_refuses_other_bodies_naming_body(app, data, content_type, message):
    """Other content types, invalid JSON and non-objects are a 400 on field "body"."""
    with (
        app.test_request_context(data=data, content_type=content_type),
        pytest.raises(ApiError) as caught,
    ):
        json_object()
    assert caught.value.code == 400
    assert caught.value.to_dict() == {"error": message, "field": "body"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b'{"name": "\\ud800"}', "name"),
        (b'{"tickers": ["ACME", "x\\uDFFFy"]}', "tickers[1]"),
        (b'{"params": {"period": {"deep": ["\\udabc"]}}}', "params.period.deep[0]"),
        (b'{"params": {"\\ud800": 1}}', "params"),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_the_field_that_holds_it(app, data, field):
    """Valid JSON, but not text a database can store: refused before any route sees it
    (a preset named "\\ud800" was a 500 from the driver's encoder)."""
    with (
        app.test_request_context(data=data, content_type="application/json"),
        pytest.raises(ApiError) as caught,
    ):
        json_object()
    assert caught.value.code == 400
    assert caught.value.to_dict() == {"error": NOT_UNICODE, "field": field}


def test_a_surrogate_pair_is_one_character_and_passes(app):
    """An escaped pair (an emoji) decodes to one valid character."""
    with app.test_request_context(
        data=b'{"name": "\\ud83d\\ude00"}', content_type="application/json"
    ):
        assert json_object() == {"name": "\U0001f600"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/run_backtest", {"ticker": "\ud800", "rule_type": "RSI"}, "ticker"),
        ("/api/sweeps", {"tickers": ["TESTCO", "\ud800"], "rule_type": "RSI"}, "tickers[1]"),
        ("/api/strategies", {"name": "\ud800", "payload": {}}, "name"),
    ],
)
def test_every_post_route_answers_a_lone_surrogate_with_a_400(platform, path, body, field):
    """Through the platform's app: a 400 naming the field, never the driver's 500."""
    client = platform.test_client()
    response = client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": NOT_UNICODE, "field": field}
