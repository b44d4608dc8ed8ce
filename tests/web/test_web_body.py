"""Tests for web/body.py: decoding request bodies into a JSON object or a 400 on "body"."""

from __future__ import annotations

import math

import pytest
from flask import Flask

from web.body import decode_json, json_object
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
