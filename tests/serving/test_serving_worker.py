"""serving/worker.py's read deadline on a request body, on gunicorn's own body reader over a
real (gevent) socket pair; the worker as a whole is tested by running the image's command,
tests/deploy/test_deploy_slow_clients.py."""

from __future__ import annotations

import time

import pytest
from gevent import socket
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import SocketUnreader
from werkzeug.exceptions import RequestTimeout

from serving.worker import DeadlineBody


@pytest.fixture
def pair():
    """A connected socket pair: (client, server)."""
    client, server = socket.socketpair()
    yield client, server
    client.close()
    server.close()


def body_of(server, length: int, seconds: float) -> DeadlineBody:
    """The ``length``-byte body arriving on ``server``, due ``seconds`` from now."""
    body = Body(LengthReader(SocketUnreader(server), length))
    return DeadlineBody(body, time.monotonic() + seconds, seconds)


def test_a_read_that_would_wait_past_the_deadline_is_a_408(pair) -> None:
    """Part of the body arrived and the rest does not: the read gives up at the deadline with
    werkzeug's 408, and the body says it expired."""
    client, server = pair
    client.sendall(b"abc")
    body = body_of(server, 10, 0.3)
    start = time.monotonic()
    with pytest.raises(RequestTimeout, match=r"longer than 0\.3 s"):
        body.read()
    assert 0.25 < time.monotonic() - start < 1.0
    assert body.expired


def test_bytes_that_arrived_are_read_even_past_the_deadline(pair) -> None:
    """A body that is all there is delivered whatever the time: the deadline bounds waiting,
    not reading."""
    client, server = pair
    client.sendall(b"line one\nline two\n")
    body = body_of(server, 18, 0.0)
    assert list(body) == [b"line one\n", b"line two\n"]
    assert not body.expired
