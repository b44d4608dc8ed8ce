"""Slow clients cannot hold every web worker: the image's own gunicorn command (Dockerfile CMD,
gunicorn.conf.py) keeps answering ``/health`` while 50 connections stall mid-request, while
twice the workers' connection ceiling drips request bodies from one address, and it cuts off a
body slower than WEB_REQUEST_READ_TIMEOUT.

gunicorn runs exactly as the image starts it (the CMD's shell line), with one change: it binds
127.0.0.1 instead of 0.0.0.0, so the test listens on loopback only. The flood comes from
127.0.0.1 and the probes from 127.0.0.2 (all of 127/8 is local on Linux), two client addresses.
"""

from __future__ import annotations

import http.client
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import pytest
import requests

from tests.deploy.support import ROOT
from tests.deploy.test_deploy_dockerfile import DOCKERFILE, exec_form, instructions, runtime_stage
from tests.stack import answers_200, free_port, wait_until

STALLED = 50
"""Connections held open mid-request while /health is asked (the report: 2 stalled the web)."""

ANSWER_SECONDS = 1.0
"""How long /health may take while they are open."""


def image_command() -> list[str]:
    """The image's CMD with its bind address moved to loopback."""
    cmd = exec_form(runtime_stage(instructions(DOCKERFILE.read_text(encoding="utf-8"))), "CMD")
    assert cmd[:2] == ["sh", "-c"] and cmd[2].count("0.0.0.0:") == 1
    return [*cmd[:2], cmd[2].replace("0.0.0.0:", "127.0.0.1:")]


@contextmanager
def image_web(
    mysql_url: str, redis_url: str, *, log: Path | None = None, **settings: str
) -> Iterator[str]:
    """The web under the image's gunicorn command on a free loopback port, with ``settings``
    added to its environment (over its own queue name), its output in ``log`` (else
    dropped); its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": mysql_url,
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"slow-{uuid.uuid4().hex[:6]}",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    env.pop("GUNICORN_CMD_ARGS", None)
    with ExitStack() as files:
        out = subprocess.DEVNULL if log is None else files.enter_context(log.open("wb"))
        server = subprocess.Popen(
            image_command(),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: answers_200(f"{base}/health"), 30, what="gunicorn to answer /health")
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)


@pytest.fixture
def web(mysql_url: str, redis_url: str) -> Iterator[str]:
    """The web under the image's gunicorn command, as the image configures it; its base URL."""
    with image_web(mysql_url, redis_url) as base:
        yield base


def stalled_connection(port: int, index: int) -> socket.socket:
    """A connection that stops mid-request: half announce a 1000-byte body and send none, half
    send part of their headers (slowloris)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if index % 2:
        sock.sendall(
            b"POST /run_backtest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
    else:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def test_health_answers_while_many_clients_stall(web: str) -> None:
    """With 50 stalled connections open, /health answers within a second, and /ready still
    reaches MySQL and Redis (PyMySQL and redis-py under gevent's monkeypatching)."""
    port = int(web.rsplit(":", 1)[1])
    with ExitStack() as stack:
        for index in range(STALLED):
            stack.enter_context(stalled_connection(port, index))
        time.sleep(0.5)  # every connection accepted and parked in a worker
        for _ in range(5):
            start = time.perf_counter()
            response = requests.get(f"{web}/health", timeout=ANSWER_SECONDS * 10)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200
            assert elapsed < ANSWER_SECONDS, f"/health took {elapsed:.1f} s"
        ready = requests.get(f"{web}/ready", timeout=ANSWER_SECONDS * 10).json()
        assert (ready["database"], ready["redis"]) == ("ok", "ok")


CEILING = 2 * 1000
"""Today's connection ceiling of the image's web: WEB_CONCURRENCY (2) workers x gunicorn.conf.py's
``worker_connections`` (1000)."""

FLOOD = 2 * CEILING + 100
"""Slow-body connections the flood opens from one address: twice the ceiling, and some."""

DRIP_SECONDS = 2.0
"""The flood sends one byte of each body this often (the issue's report)."""

PROBE_ADDRESS = "127.0.0.2"
"""The probes' own client address: another client than the flood's 127.0.0.1."""

PROBE_SECONDS = 2.0
"""How long a probe of /health may take while the flood is on."""

BODY_HEAD = (
    b"POST /run_backtest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
)
"""What each flood connection sends at once: headers announcing a 100,000-byte body."""


class SlowBodies:
    """``count`` connections from 127.0.0.1 to ``port`` that announce a 100,000-byte body and
    send one byte of it every DRIP_SECONDS, driven by one thread; a connection the server closes
    stays closed (``closed`` counts them)."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.opened = 0
        self.closed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowBodies:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        connecting: set[socket.socket] = set()
        dripping: set[socket.socket] = set()
        for _ in range(self.count):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", self.port))
            selector.register(sock, selectors.EVENT_WRITE)
            connecting.add(sock)
        next_drip = time.monotonic() + DRIP_SECONDS
        try:
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.1):
                    sock = key.fileobj
                    if sock in connecting:
                        connecting.discard(sock)
                        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                            sock.send(BODY_HEAD)
                            selector.modify(sock, selectors.EVENT_READ)
                            dripping.add(sock)
                            self.opened += 1
                            continue
                    elif self._answered(sock):
                        continue
                    self._close(selector, sock, dripping)
                if time.monotonic() >= next_drip:
                    next_drip += DRIP_SECONDS
                    for sock in list(dripping):
                        try:
                            sock.send(b" ")
                        except OSError:
                            self._close(selector, sock, dripping)
        finally:
            for sock in connecting | dripping:
                selector.unregister(sock)
                sock.close()
            selector.close()

    @staticmethod
    def _answered(sock: socket.socket) -> bool:
        """Whether a readable connection is still open (the server sent bytes, not an end)."""
        try:
            return bool(sock.recv(4096))
        except OSError:
            return False

    def _close(self, selector: selectors.BaseSelector, sock, dripping: set) -> None:
        selector.unregister(sock)
        sock.close()
        dripping.discard(sock)
        self.closed += 1


def probe_health(port: int) -> tuple[int, float]:
    """GET /health from PROBE_ADDRESS: (status, seconds); status 0 when it did not answer within
    PROBE_SECONDS."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=PROBE_SECONDS, source_address=(PROBE_ADDRESS, 0)
    )
    try:
        connection.request("GET", "/health")
        status = connection.getresponse().status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - start


@pytest.fixture
def many_files() -> Iterator[None]:
    """This process may open the flood's sockets (the soft open-file limit raised to the hard
    one, restored after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = FLOOD + 1000
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the open-file limit ({hard}) is below the {needed} sockets the flood needs")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, needed), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_health_answers_while_one_address_drips_bodies_past_the_ceiling(
    mysql_url: str, redis_url: str, many_files: None
) -> None:
    """Twice today's connection ceiling of slow bodies from one address (Content-Length 100000,
    one byte every 2 s) cannot starve another client: every /health probe from 127.0.0.2
    answers 200 within PROBE_SECONDS, because the web keeps only WEB_MAX_CLIENT_CONNECTIONS of
    one address's connections per worker and closes the rest at once."""
    with image_web(mysql_url, redis_url) as base:
        port = int(base.rsplit(":", 1)[1])
        assert probe_health(port)[0] == 200
        with SlowBodies(port, FLOOD) as flood:
            wait_until(lambda: flood.opened + flood.closed >= CEILING, 20, what="the flood")
            probes = []
            for _ in range(8):
                probes.append(probe_health(port))
                time.sleep(max(0.0, 1.0 - probes[-1][1]))
            held = flood.opened - flood.closed
        failed = [(status, round(took, 1)) for status, took in probes if status != 200]
        assert not failed, f"/health failed {len(failed)} of {len(probes)} probes: {failed}"
        assert held < CEILING, f"the flood's one address held {held} connections"


def test_a_body_slower_than_the_read_timeout_is_cut_off(mysql_url: str, redis_url: str) -> None:
    """WEB_REQUEST_READ_TIMEOUT bounds the time a request may take to arrive: a body dripped one
    byte every 0.2 s is answered 408 and its connection closed once the timeout has passed,
    while a body that arrives in time is read and answered as usual (here a 400 naming it)."""
    with image_web(mysql_url, redis_url, WEB_REQUEST_READ_TIMEOUT="2") as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(BODY_HEAD.replace(b"100000", b"8") + b"[1,")
            time.sleep(1.0)
            sock.sendall(b"2,3]")
            sock.sendall(b"!")  # within the 2 s; "[1,2,3]!" is not JSON
            on_time = sock.recv(65536)
        assert on_time.startswith(b"HTTP/1.1 400 "), on_time[:200]

        with socket.create_connection(("127.0.0.1", port), timeout=8) as sock:
            start = time.monotonic()
            sock.sendall(BODY_HEAD)
            answer = b""
            sock.settimeout(0.2)
            while time.monotonic() - start < 8:
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    with suppress(OSError):  # closed: what it answered is still to be read
                        sock.send(b" ")
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                answer += chunk
            took = time.monotonic() - start
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert took < 4, f"the slow body was cut off after {took:.1f} s"
