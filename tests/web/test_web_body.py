"""Tests for web/body.py: decoding request bodies into a JSON object or a 400 on "body"."""

from __future__ import annotations

import json
import math

import pytest
from flask import Flask

from tests.web.support import app_with_schema, serve
from web.body import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_KEYS,
    MAX_NUMBER_CHARS,
    MAX_OBJECT_KEYS,
    NOT_UNICODE,
    NUMBER_TOO_LONG,
    TOO_DEEP,
    TOO_MANY_ITEMS,
    TOO_MANY_KEYS,
    TOO_MANY_OBJECT_KEYS,
    json_object,
    read_json_object,
)
from web.errors import ApiError


def test_ordinary_numbers_are_kept():
    """Integers that fit a float stay exact ints; floats stay floats."""
    assert read_json_object(b'{"a": 12345678901234567890, "b": 1.5, "c": -7}') == {
        "a": 12345678901234567890,
        "b": 1.5,
        "c": -7,
    }


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("1" + "0" * 400, math.inf), ("-1" + "0" * 400, -math.inf)],
)
def test_integers_beyond_float_range_decode_as_infinity(literal, expected):
    """Integers no float can hold decode as signed infinity (so validation rejects them)."""
    assert read_json_object(b'{"x": ' + literal.encode() + b"}") == {"x": expected}


@pytest.mark.parametrize("literal", ["9" * 5000, "-" + "9" * 5000])
def test_integers_past_the_number_bound_are_refused_unconverted(literal):
    """Past ``MAX_NUMBER_CHARS`` an integer is a 400, however it would have decoded."""
    assert _refusal(b'{"x": ' + literal.encode() + b"}") == {"error": NUMBER_TOO_LONG, "field": "x"}


def test_the_largest_integer_a_float_can_hold_is_kept():
    """An integer just inside float range is not turned into infinity."""
    largest = int(1.7976931348623157e308)
    assert read_json_object(b'{"x": ' + str(largest).encode() + b"}") == {"x": largest}


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff", b"[" * 200_000 + b"]" * 200_000])
def test_bad_documents_are_a_400_on_body(raw):
    """Invalid, undecodable and absurdly nested documents are all 'not valid JSON'."""
    assert _refusal(raw) == {"error": "is not valid JSON", "field": "body"}


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


def _nested(depth: int) -> dict:
    """An object nesting ``depth`` levels: ``{"a": [{"a": [...]}]}``, itself level 1."""
    value: object = 1
    for level in range(depth - 1, 0, -1):
        value = [value] if level % 2 else {"a": value}
    return {"a": value} if depth > 1 else {}


def _refusal(document: object | bytes) -> dict:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    with pytest.raises(ApiError) as caught:
        read_json_object(raw)
    assert caught.value.code == 400
    return caught.value.to_dict()


def test_a_body_at_every_bound_is_read():
    """The bounds themselves pass: a body may use all it is allowed."""
    wide = {f"k{i}": i for i in range(MAX_OBJECT_KEYS)}
    many = {f"o{j}": {f"k{i}": i for i in range(MAX_OBJECT_KEYS - 1)} for j in range(10)}
    long_number = "0." + "3" * (MAX_NUMBER_CHARS - 2)
    assert read_json_object(json.dumps(wide).encode()) == wide
    assert read_json_object(json.dumps(many).encode()) == many
    assert read_json_object(json.dumps(_nested(MAX_DEPTH)).encode()) == _nested(MAX_DEPTH)
    assert read_json_object(f'{{"x": {long_number}}}'.encode()) == {"x": float(long_number)}


def test_more_keys_than_a_body_may_hold_is_a_400_on_body():
    """Keys are counted over the whole body (here 11 objects of 999 keys)."""
    many = {f"o{j}": {f"k{i}": i for i in range(MAX_OBJECT_KEYS - 1)} for j in range(11)}
    assert _refusal(many) == {"error": TOO_MANY_KEYS, "field": "body"}
    assert _refusal({f"k{i}": 0 for i in range(MAX_KEYS + 1)})["field"] == "body"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({f"k{i}": 0 for i in range(MAX_OBJECT_KEYS + 1)}, "body"),
        ({"ticker": "A", "params": {f"k{i}": 0 for i in range(MAX_OBJECT_KEYS + 1)}}, "params"),
        (
            {"grid": {"rules": [{}, {f"k{i}": 0 for i in range(MAX_OBJECT_KEYS + 1)}]}},
            "grid.rules[1]",
        ),
    ],
)
def test_an_object_with_too_many_keys_is_a_400_naming_it(document, field):
    """One object over its bound is named by its path (``body`` at the top level)."""
    assert _refusal(document) == {"error": TOO_MANY_OBJECT_KEYS, "field": field}


def test_nesting_deeper_than_the_bound_is_a_400_naming_the_path():
    """The path names where the body passes the bound."""
    answer = _refusal(_nested(MAX_DEPTH + 1))
    assert answer["error"] == TOO_DEEP
    assert answer["field"] == "a" + "[0].a" * (MAX_DEPTH // 2 - 1) + "[0]"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"initial_capital": ' + b"9" * 100_000 + b"}", "initial_capital"),
        (b'{"fee_rate": -0.' + b"1" * 100_000 + b"}", "fee_rate"),
        (b'{"params": {"period": 1e' + b"0" * 100_000 + b"}}", "params.period"),
        (b'{"horizons": [1, ' + b"5" * (MAX_NUMBER_CHARS + 1) + b"]}", "horizons[1]"),
    ],
)
def test_a_number_longer_than_the_bound_is_a_400_naming_its_field(raw, field):
    """An over-long number literal is never converted: a 400 naming where it is."""
    assert _refusal(raw) == {"error": NUMBER_TOO_LONG, "field": field}


def test_an_integer_beyond_float_range_within_the_bound_still_decodes_as_infinity():
    """Up to the bound the field's own check answers (``must be a finite number``)."""
    assert read_json_object(b'{"x": -' + b"9" * (MAX_NUMBER_CHARS - 1) + b"}") == {"x": -math.inf}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name": "a\xed\xa0\x80b"}', "name"),
        (b'{"payload": {"params": {"x": ["ok", "\xed\xb0\x80"]}}}', "payload.params.x[1]"),
        (b'{"payload": {"\xed\xa0\x80": 1}}', "payload"),
    ],
)
def test_raw_surrogate_bytes_are_a_400_naming_the_field_that_holds_them(raw, field):
    """Surrogates encoded as raw (invalid UTF-8) bytes, not escapes, are refused the same way
    (they passed the escape check and were stored, or a 500 from MySQL's driver)."""
    assert _refusal(raw) == {"error": NOT_UNICODE, "field": field}


def test_other_invalid_utf8_is_a_400_on_body():
    """Bytes that are no UTF-8 at all are not valid JSON."""
    assert _refusal(b'{"name": "\xff\xfe"}') == {"error": "is not valid JSON", "field": "body"}


def test_more_array_items_than_a_body_may_hold_is_a_400_on_body():
    """Items are counted over every array of the body; the bound itself passes."""
    assert read_json_object(json.dumps({"a": [0] * MAX_ITEMS}).encode())["a"] == [0] * MAX_ITEMS
    half = [0] * (MAX_ITEMS // 2)
    assert _refusal({"a": half, "b": {"c": [*half, 0]}}) == {
        "error": TOO_MANY_ITEMS,
        "field": "body",
    }


def test_commas_inside_text_are_no_array_items():
    """The cheap count of the body's commas only decides whether the arrays are walked: a
    note full of commas beside a short list is accepted, and nested arrays count each item."""
    body = {"notes": "," * (MAX_ITEMS + 1), "a": [[0, 0], [0]]}
    assert read_json_object(json.dumps(body).encode()) == body
    nested = [[0] * 1000 for _ in range(MAX_ITEMS // 1000)]  # 200 + 200,000 items
    assert _refusal({"a": nested}) == {"error": TOO_MANY_ITEMS, "field": "body"}
