"""Tests for scripts/bulk_client.py against a small HTTP server on loopback: throttling,
retries, and how each answer of POST /run_backtest is classified."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from scripts.bulk_client import LOOKUP_CHUNK, ApiClient, ApiUnavailable, error_body
from tests.stack import free_port


class FakeApi:
    """A loopback server whose answers the test queues up; it records every request."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict]] = []
        self.seen: list[tuple[str, str, dict]] = []
        app = Flask("fake-api")

        @app.route("/<path:path>", methods=["GET", "POST"])
        def any_path(path):
            self.seen.append((request.method, "/" + path, dict(request.args)))
            if path == "api/runs/lookup":
                ids = request.args["ids"].split(",")
                return {"runs": [{"run_id": i, "status": "PENDING"} for i in ids], "missing": []}
            status, body, *headers = self.answers.pop(0) if self.answers else (200, {})
            response = jsonify(body)
            response.status_code = status
            response.headers.update(headers[0] if headers else {})
            return response

        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.thread.join()


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client_for(api: FakeApi, **kwargs) -> tuple[ApiClient, FakeTime]:
    fake_time = FakeTime()
    kwargs.setdefault("rate", 1000.0)
    client = ApiClient(api.url, sleep=fake_time.sleep, clock=fake_time.clock, **kwargs)
    return client, fake_time


def test_calls_are_spaced_by_the_rate(api):
    """At 2 requests/s, four calls wait 0.5 s before each call after the first."""
    client, fake_time = client_for(api, rate=2.0)
    for _ in range(4):
        client.request("GET", "/x")
    assert fake_time.sleeps == [0.5, 0.5, 0.5]
    assert len(api.seen) == 4


def test_overload_answers_are_retried_with_backoff(api):
    """503 and 502 are retried (0.5 s, then 1 s back-off); the 200 is returned."""
    api.answers = [(503, {}), (502, {}), (200, {"ok": True})]
    client, fake_time = client_for(api)
    assert client.get_json("/thing") == {"ok": True}
    assert [round(s, 3) for s in fake_time.sleeps if s >= 0.1] == [0.5, 1.0]
    assert client.calls == 3


def test_an_api_that_keeps_failing_is_unavailable(api):
    """After retries + 1 tries of 503 the client gives up with ApiUnavailable."""
    api.answers = [(503, {})] * 3
    client, _ = client_for(api, retries=2)
    with pytest.raises(ApiUnavailable, match="3 tries"):
        client.get_json("/thing")


def test_an_unreachable_api_is_unavailable():
    """Nothing listening: connection errors end as ApiUnavailable."""
    client = ApiClient(f"http://127.0.0.1:{free_port()}", retries=1, sleep=lambda _s: None)
    with pytest.raises(ApiUnavailable, match="ConnectionError"):
        client.rules()


@pytest.mark.parametrize(
    ("status", "body", "kind", "field"),
    [
        (202, {"run_id": "r"}, "accepted", None),
        (409, {"error": "run_id already exists", "field": "run_id"}, "duplicate", "run_id"),
        (400, {"error": "unknown ticker NOPE", "field": "ticker"}, "rejected", "ticker"),
    ],
)
def test_submit_classifies_the_answer(api, status, body, kind, field):
    """202 accepted, 409 duplicate (already submitted), 400 rejected with field and message."""
    api.answers = [(status, body)]
    client, _ = client_for(api)
    outcome = client.submit({"ticker": "X", "run_id": "r"})
    assert (outcome.kind, outcome.http_status, outcome.field) == (kind, status, field)
    if kind == "rejected":
        assert outcome.message == body["error"]
    assert api.seen[0][:2] == ("POST", "/run_backtest")


def test_a_full_share_is_waited_out_after_retry_after(api):
    """429 (the client's share of the queue is full; nothing was recorded) is waited out
    after its Retry-After, twice, without using a retry: the third post is accepted."""
    full = {"error": "too many pending runs", "field": "Authorization"}
    api.answers = [(429, full, {"Retry-After": "60"}), (429, full), (202, {"run_id": "r"})]
    client, fake_time = client_for(api, retries=0)
    assert client.submit({"run_id": "r"}).kind == "accepted"
    assert [s for s in fake_time.sleeps if s >= 1] == [60.0, 5.0]
    assert [seen[:2] for seen in api.seen] == [("POST", "/run_backtest")] * 3


def test_a_share_that_stays_full_past_the_room_wait_is_an_error(api):
    """After room_wait seconds of 429s the 429 is the caller's: the submission stops."""
    api.answers = [(429, {"error": "full", "field": "Authorization"}, {"Retry-After": "30"})] * 3
    client, fake_time = client_for(api, room_wait=45.0)
    with pytest.raises(ApiUnavailable, match="HTTP 429"):
        client.submit({})
    assert [s for s in fake_time.sleeps if s >= 1] == [30.0, 15.0]


def test_submit_raises_on_a_server_error(api):
    """A 500 is neither accepted nor rejected: ApiUnavailable."""
    api.answers = [(500, {"error": "internal error"})]
    client, _ = client_for(api)
    with pytest.raises(ApiUnavailable, match="HTTP 500"):
        client.submit({})


def test_lookup_asks_in_chunks(api):
    """Run ids are looked up at most LOOKUP_CHUNK at a time; every one is returned."""
    ids = [f"run-{i}" for i in range(2 * LOOKUP_CHUNK + 50)]
    client, _ = client_for(api)
    found = client.lookup(ids)
    assert set(found) == set(ids)
    sizes = [len(args["ids"].split(",")) for _, path, args in api.seen]
    assert sizes == [LOOKUP_CHUNK, LOOKUP_CHUNK, 50]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{"error": "is required", "field": "ticker"}',
            {"error": "is required", "field": "ticker"},
        ),
        (b"<html>502 Bad Gateway</html>", {"error": "<html>502 Bad Gateway</html>"}),
        (b"[1, 2]", {"error": "[1, 2]"}),  # JSON, but no object: the demo's .get crashed on it
        (b"", {"error": ""}),
    ],
)
def test_an_error_body_is_the_apis_object_or_the_answers_text(content, expected):
    response = requests.Response()
    response.status_code, response._content = 503, content
    assert error_body(response) == expected
