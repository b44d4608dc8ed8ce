"""The web's gunicorn worker: gunicorn's gevent worker with two bounds on what one client can
hold (``docs/ops-guide.md``, "Slow clients"; ``docs/security.md``, "Slow clients").

* **A request must arrive in time.** From the moment the worker waits for a request (the
  connection's accept, or the end of the previous answer on a kept-alive connection) the client
  has WEB_REQUEST_READ_TIMEOUT seconds to deliver its request line, headers and body. The line
  and headers are gunicorn's ``timeout_ctx`` wait (``keepalive`` seconds, never longer than the
  read timeout; past it the connection is closed without an answer). The body is read by the
  app (``wsgi.input``): each read waits at most until the request's deadline, then raises
  werkzeug's ``RequestTimeout``, which the app answers 408 like any HTTP error, and the
  connection is closed after that answer. A body that has arrived is always delivered.
* **One client address holds a bounded share of the worker.** At most
  WEB_MAX_CLIENT_CONNECTIONS connections of one peer address are served at once by a worker;
  a further one is closed as soon as it is accepted, so it never waits in one of the worker's
  ``worker_connections`` slots. The address is the TCP peer's: the cap acts before a byte of
  the request is read, so ``X-Forwarded-For`` is unknown. Behind proxies (PROXY_FIX_HOPS > 0)
  every peer is a proxy, so the cap is off unless set and the proxy limits its clients
  (``config.process.max_client_connections``).

Both values are read once per worker, from ``config.process``; a refused value stops the
worker at boot, so gunicorn does not start.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import gevent
import gevent.local
from gunicorn.workers.ggevent import GeventWorker

from config import process

REFUSAL_LOG_SECONDS = 60.0
"""A refused address is logged at most once this often per worker (a flood must not flood
the log)."""

REFUSAL_LOG_ADDRESSES = 1000
"""Addresses remembered for REFUSAL_LOG_SECONDS; past it the memory is cleared."""


def read_timed_out(seconds: float) -> Exception:
    """The exception a body read raises past its deadline: werkzeug's 408, which the app
    renders like any HTTP error (imported here, in a worker, after gevent has patched)."""
    from werkzeug.exceptions import RequestTimeout

    return RequestTimeout(f"the request took longer than {seconds:g} s to arrive")


class DeadlineBody:
    """A request body (gunicorn's ``Body``) whose reads wait no later than ``deadline`` (on
    ``time.monotonic``'s clock): a read that would wait past it raises ``read_timed_out`` and
    sets ``expired``. Bytes that have already arrived are returned whatever the time."""

    def __init__(self, body: Any, deadline: float, seconds: float) -> None:
        self._body = body
        self.deadline = deadline
        self.seconds = seconds
        self.expired = False

    def _in_time(self, read: Callable[..., Any], *args: Any) -> Any:
        timer = gevent.Timeout(max(0.0, self.deadline - time.monotonic()))
        timer.start()
        try:
            return read(*args)
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            self.expired = True
            raise read_timed_out(self.seconds) from None
        finally:
            timer.close()

    def read(self, size: int | None = None) -> bytes:
        """Up to ``size`` bytes of the body (all of it when None)."""
        return self._in_time(self._body.read, size)

    def readline(self, size: int | None = None) -> bytes:
        """One line of the body."""
        return self._in_time(self._body.readline, size)

    def readlines(self, size: int | None = None) -> list[bytes]:
        """The body's lines."""
        return self._in_time(self._body.readlines, size)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class Worker(GeventWorker):
    """gunicorn's gevent worker with a read deadline per request and a cap on the
    connections of one client address (the module's docstring)."""

    def init_process(self) -> None:
        """Read the two limits, then gunicorn's start-up (patching, loading the app, serving)."""
        self.read_timeout = process.WEB_REQUEST_READ_TIMEOUT.value()
        self.max_client_connections = process.max_client_connections()
        self.open_connections: Counter[str] = Counter()
        self._refusals_logged: dict[str, float] = {}
        self._request = gevent.local.local()
        super().init_process()

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        """Serve one connection, unless its address already holds its share of the worker:
        then it is closed at once."""
        address = addr[0] if isinstance(addr, tuple) and addr else None
        cap = self.max_client_connections
        if address is not None and cap and self.open_connections[address] >= cap:
            self._refuse(client, address)
            return
        if address is not None:
            self.open_connections[address] += 1
        self._request.started = time.monotonic()
        try:
            super().handle(listener, client, addr)
        finally:
            if address is not None:
                self.open_connections[address] -= 1
                if self.open_connections[address] <= 0:
                    del self.open_connections[address]

    def _refuse(self, client: Any, address: str) -> None:
        client.close()
        now = time.monotonic()
        if now - self._refusals_logged.get(address, -REFUSAL_LOG_SECONDS) >= REFUSAL_LOG_SECONDS:
            if len(self._refusals_logged) >= REFUSAL_LOG_ADDRESSES:
                self._refusals_logged.clear()
            self._refusals_logged[address] = now
            self.log.warning(
                "closing new connections from %s: it holds %d in this worker "
                "(WEB_MAX_CLIENT_CONNECTIONS); logged once a minute",
                address,
                self.max_client_connections,
            )

    def timeout_ctx(self) -> gevent.Timeout:
        """gunicorn's wait for a request's line and headers (``keepalive`` seconds, silent),
        never longer than the read timeout; the request's clock starts here."""
        self._request.started = time.monotonic()
        return gevent.Timeout(min(self.cfg.keepalive, self.read_timeout), False)

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        """gunicorn's request handling with the body's reads bounded by the request's
        deadline; a request whose body did not arrive in time closes its connection once
        answered (408)."""
        started = getattr(self._request, "started", time.monotonic())
        body = None
        if req.body is not None:
            body = req.body = DeadlineBody(req.body, started + self.read_timeout, self.read_timeout)
        kept = super().handle_request(listener_name, req, sock, addr)
        if body is not None and body.expired:
            raise StopIteration  # gunicorn's "close this connection"
        return kept
