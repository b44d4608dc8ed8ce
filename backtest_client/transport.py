"""One HTTP connection to the platform: its base URL and token, a timeout, optional pacing
and polite retries; answers that are errors become ``backtest_client.errors`` exceptions.

A connection error, a timeout or a 502/503/504 is tried again after an exponential back-off
(0.5 s, 1 s, 2 s… at most 10 s), or after the answer's ``Retry-After`` when it says longer
(at most ``MAX_RETRY_AFTER_S``); after the last try ``BacktestUnavailable`` is raised.

An answer whose body ends before its ``Content-Length`` (the connection closed mid-body: a
download cut short) is never returned: it is a failure like a connection error, tried again,
then ``BacktestUnavailable`` saying how many bytes came of how many (``cut_body``: urllib3 2
raises on it, urllib3 1 would hand the short body over silently).

A 429 (the client's fair share of the queue is full, or a rate limit: nothing was recorded)
is waited out, after its ``Retry-After``, for at most ``room_wait`` seconds in all (0, the
default, hands the 429 to the caller at once); those waits take no retry.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

import requests

from backtest_client import errors
from backtest_client.errors import BacktestError, BacktestUnavailable

DEFAULT_URL = "http://127.0.0.1:5000"
"""The platform's URL when neither the caller nor ``BACKTEST_URL`` says otherwise."""

RETRY_STATUSES = (502, 503, 504)
"""Answers that mean "overloaded or briefly away": tried again."""

NO_ROOM = 429
"""The answer that means "nothing was recorded: come back later" (a share or rate limit)."""

NO_ROOM_PAUSE_S = 5.0
"""The wait after a 429 that names no ``Retry-After``."""

MAX_BACKOFF_S = 10.0
MAX_RETRY_AFTER_S = 60.0
"""The longest a ``Retry-After`` is honoured; a longer one waits this long."""

_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")


def default_url() -> str:
    """``BACKTEST_URL``, else ``DEFAULT_URL``."""
    return os.environ.get("BACKTEST_URL") or DEFAULT_URL


def default_token() -> str | None:
    """``BACKTEST_TOKEN``, else None (no ``Authorization`` header)."""
    return os.environ.get("BACKTEST_TOKEN") or None


def error_body(response: requests.Response) -> dict[str, Any]:
    """What an API answer says went wrong: its JSON object (``error``, ``field``…), or
    ``{"error": <the first 200 characters of the body>}`` when it is not one (a proxy's
    HTML page, an empty 503)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"error": response.text.strip()[:200]}


def answer_error(response: requests.Response, what: str) -> BacktestError:
    """The exception for a non-2xx answer to ``what`` (``"GET /path"``): a 400-class refusal
    names its field; 401/403, 404, 5xx each have their class."""
    body = error_body(response)
    status = response.status_code
    message = str(body.get("error") or response.reason or "")
    extra = {"body": body, "run_id": body.get("run_id")}
    if status in (401, 403):
        kind: type[BacktestError] = errors.BacktestAuthError
    elif status == 404:
        kind = errors.BacktestNotFound
    elif 400 <= status < 500:
        return errors.BacktestRequestError(body.get("field"), message, status, **extra)
    elif status in RETRY_STATUSES:
        kind = BacktestUnavailable
    else:
        kind = errors.BacktestServerError
    field = f"{body['field']}: " if body.get("field") else ""
    return kind(
        f"{what}: HTTP {status}: {field}{message}",
        status=status,
        message=message,
        field=body.get("field"),
        **extra,
    )


def retry_after(response: requests.Response | None) -> float:
    """The answer's ``Retry-After`` in seconds (0 when absent or a date)."""
    value = (response.headers.get("Retry-After", "") if response is not None else "").strip()
    return min(float(value), MAX_RETRY_AFTER_S) if value.isdigit() else 0.0


def _why(exc: requests.RequestException) -> str:
    """``ConnectionError: [Errno 111] Connection refused`` rather than urllib3's paragraph."""
    found = _ERRNO.search(str(exc))
    return f"{exc.__class__.__name__}: {found.group(0)}" if found else exc.__class__.__name__


def cut_body(response: requests.Response) -> str | None:
    """Why ``response``'s body is incomplete — fewer bytes arrived than its
    ``Content-Length`` says (counted as sent: compressed, when it was) — or None (complete,
    or a length it does not state)."""
    stated = response.headers.get("Content-Length", "")
    if response.request.method == "HEAD" or response.status_code in (204, 304):
        return None
    if not stated.isdigit() or response.raw is None:
        return None
    got = response.raw.tell()
    if got >= int(stated):
        return None
    return f"the answer's body was cut: {got:,} of its {int(stated):,} bytes arrived"


class Transport:
    """The API at ``base_url``; every call carries the token, waits for its slot (at most
    ``rate`` calls per second overall, when given) and is retried as the module says."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        rate: float | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        room_wait: float = 0.0,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be greater than 0")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.room_wait = room_wait
        self.backoff = backoff
        self.interval = 1.0 / rate if rate else 0.0
        self.session = session or requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.sleep = sleep
        self.clock = clock
        self._next_slot = 0.0
        self.calls = 0

    def _throttle(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if now < self._next_slot:
            self.sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self.interval

    def request(
        self, method: str, path: str, *, retries: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """One API call with pacing and ``retries`` (default the transport's); any final
        answer is returned as is, errors included. A call that must not be repeated passes
        ``retries=0``.

        :raise BacktestUnavailable: unreachable, or 502/503/504, on every try.
        """
        url = f"{self.base_url}{path}"
        tries = (self.retries if retries is None else retries) + 1
        problem, last = "", None
        waited = 0.0
        attempt, after_failure = 0, False
        while attempt < tries:
            if after_failure:
                backoff = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF_S)
                self.sleep(max(backoff, retry_after(last)))
            self._throttle()
            self.calls += 1
            attempt, after_failure = attempt + 1, True
            try:
                last = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem, last = _why(exc), None
                continue
            except requests.exceptions.ChunkedEncodingError:
                problem, last = "the answer's body was cut before its end", None
                continue
            cut = None if kwargs.get("stream") else cut_body(last)
            if cut is not None:
                problem, last = cut, None
                continue
            if last.status_code == NO_ROOM and waited < self.room_wait:
                pause = min(retry_after(last) or NO_ROOM_PAUSE_S, self.room_wait - waited)
                self.sleep(pause)
                waited += pause
                attempt, after_failure = attempt - 1, False  # waiting for room is no failed try
                continue
            if last.status_code not in RETRY_STATUSES:
                return last
            problem = f"HTTP {last.status_code}: {error_body(last).get('error') or ''}".strip()
        body = error_body(last) if last is not None else {}
        raise BacktestUnavailable(
            f"{method} {url} failed after {tries} tries ({problem})",
            status=last.status_code if last is not None else None,
            message=body.get("error") or problem,
            run_id=body.get("run_id"),
            body=body,
        )

    def call(
        self, method: str, path: str, *, retries: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """``request``, with a non-2xx answer raised as its ``BacktestError``."""
        response = self.request(method, path, retries=retries, **kwargs)
        if not response.ok:
            raise answer_error(response, f"{method} {path}")
        return response

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` and decode its JSON; a non-2xx answer raises its ``BacktestError``."""
        return self.call("GET", path, params=params).json()
