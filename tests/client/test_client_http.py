"""The client's HTTP conduct against a stand-in of the platform on loopback (answers the
real server gives only under faults or in newer versions): a 503's Retry-After is waited
out, an overload that lasts ends in one clear exception, nothing listening is a clear
exception, the token is sent, an unchanged status (304) is not downloaded again, a
result sent with the status is not fetched twice, and a body cut short is never taken for
the whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest

from backtest_client import BacktestUnavailable, Client, WaitTimeout
from backtest_client.transport import Transport
from tests import loopback
from tests.stack import free_port

RUN_ID = "5b0b7b9e-5a4e-4c7a-9b1e-000000000001"
RESULT = {"run_id": RUN_ID, "status": "SUCCEEDED", "metrics": {"sharpe_ratio": 1.5}}


class StandIn:
    """Answers queued per path prefix (``(status, body, headers)``; the last one repeats);
    every request is recorded as (method, path, headers)."""

    def __init__(self, answers: dict[str, list[tuple[int, object, dict]]]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, str, dict]] = []


@contextmanager
def stand_in(state: StandIn) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self) -> None:
            self.seen_request()
            prefix = next(p for p in state.answers if self.path.startswith(p))
            queue = state.answers[prefix]
            status, body, headers = queue.pop(0) if len(queue) > 1 else queue[0]
            data = (
                body
                if isinstance(body, bytes)
                else b""
                if status == 304
                else json.dumps(body).encode()
            )
            headers = {
                "Content-Type": "application/json",
                "Content-Length": str(len(data)),
                **headers,
            }
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            if len(data) < int(headers["Content-Length"]):  # a body cut short: hang up
                self.close_connection = True

        def seen_request(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            state.seen.append((self.command, self.path, dict(self.headers)))

        do_GET = do_POST = _answer

    with loopback.handler(Handler) as url:
        yield url


def fake_sleep_client(url: str, **kwargs) -> tuple[Client, list[float]]:
    sleeps: list[float] = []
    transport = Transport(url, sleep=sleeps.append, **kwargs)
    return Client(transport=transport), sleeps


def test_a_503s_retry_after_is_waited_out_then_the_run_is_accepted():
    state = StandIn(
        {
            "/run_backtest": [
                (503, {"error": "database unavailable: submit it again"}, {"Retry-After": "5"}),
                (202, {"run_id": RUN_ID, "status": "PENDING"}, {}),
            ]
        }
    )
    with stand_in(state) as url:
        client, sleeps = fake_sleep_client(url)
        run = client.run("ACME", "RSI", None, "2020-01-01", "2020-12-31")
    assert run.run_id == RUN_ID and sleeps == [5.0]
    bodies = [seen for seen in state.seen if seen[0] == "POST"]
    assert len(bodies) == 2


def test_an_overload_that_lasts_is_one_clear_exception_with_the_servers_message():
    answer = (503, {"error": "queue unavailable"}, {})
    with stand_in(StandIn({"/api/rules": [answer]})) as url:
        client, sleeps = fake_sleep_client(url, retries=2)
        with pytest.raises(BacktestUnavailable) as unavailable:
            client.rules()
    assert sleeps == [0.5, 1.0]
    assert (unavailable.value.status, unavailable.value.message) == (503, "queue unavailable")
    assert "failed after 3 tries (HTTP 503: queue unavailable)" in str(unavailable.value)


def test_nothing_listening_is_a_clear_exception():
    client = Client(f"http://127.0.0.1:{free_port()}", retries=0)
    with pytest.raises(BacktestUnavailable) as unreachable:
        client.run("ACME", "RSI", None, "2020-01-01", "2020-12-31")
    assert "ConnectionError: [Errno 111] Connection refused" in str(unreachable.value)
    assert unreachable.value.__context__ is None  # no urllib3 traceback chained to it


def test_the_token_is_sent_as_a_bearer_header_from_the_argument_or_the_environment(
    monkeypatch,
):
    state = StandIn({"/api/rules": [(200, [], {})]})
    with stand_in(state) as url:
        Client(url, token="t0k").rules()
        monkeypatch.setenv("BACKTEST_TOKEN", "from-env")
        monkeypatch.setenv("BACKTEST_URL", url)
        Client().rules()
        monkeypatch.delenv("BACKTEST_TOKEN")
        Client().rules()
    sent = [headers.get("Authorization") for _, _, headers in state.seen]
    assert sent == ["Bearer t0k", "Bearer from-env", None]


def test_an_unchanged_status_is_not_downloaded_again_and_the_result_is_fetched_once():
    running = {"run_id": RUN_ID, "status": "RUNNING", "result": None}
    done = {**running, "status": "SUCCEEDED"}
    state = StandIn(
        {
            "/status/": [
                (200, running, {"ETag": '"r1"'}),
                (304, None, {"ETag": '"r1"'}),
                (200, done, {"ETag": '"s1"'}),
            ],
            f"/runs/{RUN_ID}/result.json": [(200, RESULT, {})],
        }
    )
    with stand_in(state) as url:
        client, _ = fake_sleep_client(url)
        result = client.get_run(RUN_ID).wait(poll=0.01)
    assert result.stats["sharpe_ratio"] == 1.5
    polls = [(path, headers.get("If-None-Match")) for _, path, headers in state.seen]
    assert polls == [
        (f"/status/{RUN_ID}?result=false", None),
        (f"/status/{RUN_ID}?result=false", '"r1"'),
        (f"/status/{RUN_ID}?result=false", '"r1"'),
        (f"/runs/{RUN_ID}/result.json", None),
    ]


def test_a_result_sent_with_the_status_is_not_fetched_again():
    """A server that ignores ?result=false sends the result with the final status."""
    status = {"run_id": RUN_ID, "status": "SUCCEEDED", "result": RESULT}
    state = StandIn({"/status/": [(200, status, {})]})
    with stand_in(state) as url:
        result = Client(url).get_run(RUN_ID).wait()
    assert result.raw == RESULT
    assert [path for _, path, _ in state.seen] == [f"/status/{RUN_ID}?result=false"]


CSV = b"combo_no,ticker,fast,sharpe_ratio\n0,ACME,2,1.5\n1,ACME,3,0.5\n"
SWEEP_ID = "5b0b7b9e-5a4e-4c7a-9b1e-000000000002"


def _cut(data: bytes) -> tuple[int, bytes, dict]:
    """A 200 whose Content-Length is ``data``'s but whose body stops half way."""
    return (
        200,
        data[: len(data) // 2],
        {"Content-Length": str(len(data)), "Content-Type": "text/csv"},
    )


def test_a_download_cut_short_is_tried_again_and_read_whole():
    """The first answer's connection closes mid-body: the client asks again and reads the
    whole CSV, never the half it got."""
    state = StandIn({f"/api/sweeps/{SWEEP_ID}/results.csv": [_cut(CSV), (200, CSV, {})]})
    with stand_in(state) as url:
        client, sleeps = fake_sleep_client(url)
        frame = client.get_sweep(SWEEP_ID).results
    assert list(frame.index) == [0, 1] and len(state.seen) == 2 and sleeps == [0.5]


def test_a_download_cut_short_every_time_is_one_clear_exception():
    state = StandIn({f"/api/sweeps/{SWEEP_ID}/results.csv": [_cut(CSV)]})
    with stand_in(state) as url:
        client, _ = fake_sleep_client(url, retries=1)
        with pytest.raises(BacktestUnavailable) as cut:
            _ = client.get_sweep(SWEEP_ID).results
    assert "failed after 2 tries" in str(cut.value) and "cut" in str(cut.value)


PREPARING = {"sweep_id": SWEEP_ID, "status": "preparing", "message": "being prepared"}


def test_a_csv_being_prepared_is_asked_for_again_after_each_retry_after():
    """202 while the platform writes a sweep's CSV: the client waits the answer's
    Retry-After and asks again, then reads the 200's CSV."""
    waiting = (202, PREPARING, {"Retry-After": "3"})
    state = StandIn({f"/api/sweeps/{SWEEP_ID}/results.csv": [waiting, waiting, (200, CSV, {})]})
    with stand_in(state) as url:
        client, sleeps = fake_sleep_client(url)
        frame = client.get_sweep(SWEEP_ID).results
    assert list(frame.index) == [0, 1] and len(state.seen) == 3 and sleeps == [3.0, 3.0]


def test_a_csv_still_being_prepared_after_the_timeout_is_a_wait_timeout():
    """Every answer a 202: after ``timeout`` seconds of waiting, WaitTimeout (the platform
    goes on preparing it), not the 202's JSON read as a CSV."""
    state = StandIn(
        {f"/api/sweeps/{SWEEP_ID}/results.csv": [(202, PREPARING, {"Retry-After": "5"})]}
    )
    slept: list[float] = []
    transport = Transport("", sleep=slept.append, clock=lambda: sum(slept))
    with stand_in(state) as url:
        transport.base_url = url
        with pytest.raises(WaitTimeout, match="CSV of sweep"):
            Client(transport=transport).get_sweep(SWEEP_ID).results_csv(timeout=12)
    assert slept == [5.0, 5.0] and len(state.seen) == 3
