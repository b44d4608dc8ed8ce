"""The bulk commands' view of the platform: the exit codes they share, and ``ApiClient``,
the notebook client's transport (``backtest_client``: pacing, retries for a server that is
briefly unreachable or overloaded, errors carrying the server's field) with the calls the
bulk script makes.

Every request waits for its slot (at most ``rate`` requests per second overall). A connection
error, a timeout or a 502/503/504 is retried with exponential back-off; after the last try
``ApiUnavailable`` is raised. A 429 (this client's fair share of the queue is full, or
the rate limit) is waited out for up to ``ROOM_WAIT_S``, so a bulk submission paces itself
to the cluster instead of stopping. Posting a run again is safe: the run_id is chosen by the client,
so a repeat is answered 409 and counted as already submitted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from backtest_client import BacktestError, BacktestRequestError, Client
from backtest_client.transport import (
    DEFAULT_URL,
    Transport,
    default_token,
    default_url,
    error_body,
)

ROOM_WAIT_S = 3600.0
"""How long one call may wait, in all, for room after 429 answers (nothing was recorded:
the client's share of the queue is full until the cluster works some of it off)."""

LOOKUP_CHUNK = 200
"""Run ids per ``GET /api/runs/lookup`` (the endpoint's limit)."""

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_TIMEOUT = 0, 1, 2, 3, 4
"""The exit codes of every bulk command (runs and ``sweep``): 0 done, 1 refused by the API
(400; for a sweep also ended FAILED or PARTIAL), 2 bad options or input, 3 the API could not
be reached, 4 the wait timed out."""

EXIT_CODES_TEXT = (
    "Exit codes: 0 done, 1 refused by the API (400) or a sweep that ended FAILED/PARTIAL, "
    "2 bad options or input, 3 API unreachable, 4 the wait timed out."
)

ApiUnavailable = BacktestError
"""What ends a bulk command with exit 3: any call that failed after its retries, or an
answer the command cannot go on from (``backtest_client.errors``)."""

__all__ = ["DEFAULT_URL", "ApiClient", "ApiUnavailable", "SubmitOutcome", "error_body"]


base_url_default = default_url
"""--url's default: BACKTEST_URL, else ``DEFAULT_URL``."""


def command_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """A bulk command's parser with what every one has: its help text as written, the exit
    codes below the options, and ``--url``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES_TEXT,
    )
    parser.add_argument(
        "--url",
        default=base_url_default(),
        help=f"the platform's base URL (env BACKTEST_URL; default {DEFAULT_URL})",
    )
    return parser


def add_values_option(parser: Any, flag: str, help: str) -> None:
    """A repeatable ``NAME=SPEC`` option of ``parser`` (a parser or an argument group): a
    parameter's values (``start:stop:step``, ``v1,v2,...``), gathered in a list."""
    parser.add_argument(flag, action="append", default=[], metavar="NAME=SPEC", help=help)


def announcement(template: str) -> Callable[[Any], str]:
    """The line announcing an accepted submission: ``template`` filled in with the fields of
    the API's acceptance answer (the handle's ``accepted``)."""
    return lambda handle: template.format_map(handle.accepted)


@dataclass(frozen=True)
class SubmitOutcome:
    """What ``POST /run_backtest`` said: ``accepted`` (202), ``duplicate`` (409: this run_id
    exists already) or ``rejected`` (400, with the field and message)."""

    kind: str
    http_status: int
    field: str | None = None
    message: str | None = None


class ApiClient(Transport):
    """The platform's API at ``base_url``, at most ``rate`` requests per second, with the
    ``token`` given, else ``BACKTEST_TOKEN`` when it is set."""

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
        room_wait: float = ROOM_WAIT_S,
    ) -> None:
        super().__init__(
            base_url,
            room_wait=room_wait,
            token=token or default_token(),
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            rate=rate,
            session=session,
            sleep=sleep,
            clock=clock,
        )
        self.client = Client(transport=self)

    def rules(self) -> list[dict[str, Any]]:
        """``GET /api/rules``: the rule registry."""
        return self.client.rules()

    def run_count(self) -> int:
        """How many runs the platform has (``GET /api/runs`` total)."""
        return int(self.get_json("/api/runs", {"per_page": 1})["total"])

    def submit(self, request: dict[str, Any]) -> SubmitOutcome:
        """``POST /run_backtest`` with a request that carries its run_id."""
        try:
            self.client.submit(request)
        except BacktestRequestError as exc:
            if exc.status == 409:
                return SubmitOutcome("duplicate", 409, exc.field, exc.message)
            if exc.status == 400:
                return SubmitOutcome("rejected", 400, exc.field, exc.message)
            raise
        return SubmitOutcome("accepted", 202)

    def lookup(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Summaries (status, metrics; no result) of ``run_ids`` that exist, by run_id."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(run_ids), LOOKUP_CHUNK):
            chunk = run_ids[start : start + LOOKUP_CHUNK]
            body = self.get_json("/api/runs/lookup", {"ids": ",".join(chunk)})
            found.update({run["run_id"]: run for run in body["runs"]})
        return found
