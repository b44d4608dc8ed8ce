"""The bulk script's HTTP client: only the platform's public API, rate-limited, with retries
for a server that is briefly unreachable or overloaded.

Every request waits for its slot (at most ``rate`` requests per second overall). A connection
error, a timeout or a 502/503/504 is retried with exponential back-off; after the last try
``ApiUnavailable`` is raised. Posting a run again is safe: the run_id is chosen by the client,
so a repeat is answered 409 and counted as already submitted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

RETRY_STATUSES = (502, 503, 504)
LOOKUP_CHUNK = 200
"""Run ids per ``GET /api/runs/lookup`` (the endpoint's limit)."""


DEFAULT_URL = "http://127.0.0.1:5000"
"""The platform's URL when neither --url nor BACKTEST_URL says otherwise."""

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_TIMEOUT = 0, 1, 2, 3, 4
"""The exit codes of every bulk command (runs and ``sweep``): 0 done, 1 refused by the API
(400; for a sweep also ended FAILED or PARTIAL), 2 bad options or input, 3 the API could not
be reached, 4 the wait timed out."""

EXIT_CODES_TEXT = (
    "Exit codes: 0 done, 1 refused by the API (400) or a sweep that ended FAILED/PARTIAL, "
    "2 bad options or input, 3 API unreachable, 4 the wait timed out."
)


def base_url_default() -> str:
    """--url's default: BACKTEST_URL, else ``DEFAULT_URL``."""
    return os.environ.get("BACKTEST_URL") or DEFAULT_URL


def token_default() -> str | None:
    """The API token every request sends (AUTH_MODE=token, docs/security.md):
    BACKTEST_TOKEN, else none."""
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


class ApiUnavailable(RuntimeError):
    """The API could not be reached (or kept failing) after every retry."""


@dataclass(frozen=True)
class SubmitOutcome:
    """What ``POST /run_backtest`` said: ``accepted`` (202), ``duplicate`` (409: this run_id
    exists already) or ``rejected`` (400, with the field and message)."""

    kind: str
    http_status: int
    field: str | None = None
    message: str | None = None


class ApiClient:
    """The platform's API at ``base_url``, at most ``rate`` requests per second, sending
    ``Authorization: Bearer <token>`` when given a token (default: ``token_default()``)."""

    def __init__(
        self,
        base_url: str,
        rate: float = 10.0,
        *,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        token: str | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be greater than 0")
        self.base_url = base_url.rstrip("/")
        self.interval = 1.0 / rate
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        token = token or token_default()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.sleep = sleep
        self.clock = clock
        self._next_slot = 0.0
        self.calls = 0

    def _throttle(self) -> None:
        now = self.clock()
        if now < self._next_slot:
            self.sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self.interval

    def request(
        self, method: str, path: str, *, retries: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """One API call with throttling and ``retries`` (default the client's); any final
        answer is returned as is. A request that is not idempotent passes ``retries=0``."""
        url = f"{self.base_url}{path}"
        problem = ""
        tries = (self.retries if retries is None else retries) + 1
        for attempt in range(tries):
            if attempt:
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 10.0))
            self._throttle()
            self.calls += 1
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{exc.__class__.__name__}"
                continue
            if response.status_code in RETRY_STATUSES:
                problem = f"HTTP {response.status_code}"
                continue
            return response
        raise ApiUnavailable(f"{method} {url} failed after {tries} tries ({problem})")

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` and decode its JSON; ApiUnavailable for a non-2xx answer."""
        response = self.request("GET", path, params=params)
        if not response.ok:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}: {response.text[:200]}")
        return response.json()

    def rules(self) -> list[dict[str, Any]]:
        """``GET /api/rules``: the rule registry."""
        return self.get_json("/api/rules")

    def run_count(self) -> int:
        """How many runs the platform has (``GET /api/runs`` total)."""
        return int(self.get_json("/api/runs", {"per_page": 1})["total"])

    def submit(self, request: dict[str, Any]) -> SubmitOutcome:
        """``POST /run_backtest`` with a request that carries its run_id."""
        response = self.request("POST", "/run_backtest", json=request)
        body = error_body(response)
        if response.status_code == 202:
            return SubmitOutcome("accepted", 202)
        if response.status_code == 409:
            return SubmitOutcome("duplicate", 409, body.get("field"), body.get("error"))
        if response.status_code == 400:
            return SubmitOutcome("rejected", 400, body.get("field"), body.get("error"))
        raise ApiUnavailable(
            f"POST /run_backtest: HTTP {response.status_code}: {body.get('error') or ''}"
        )

    def lookup(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Summaries (status, metrics; no result) of ``run_ids`` that exist, by run_id."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(run_ids), LOOKUP_CHUNK):
            chunk = run_ids[start : start + LOOKUP_CHUNK]
            body = self.get_json("/api/runs/lookup", {"ids": ",".join(chunk)})
            found.update({run["run_id"]: run for run in body["runs"]})
        return found
