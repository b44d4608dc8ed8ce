"""Waiting for anything submitted: ask, sleep, ask again, with a start of quick polls that
slows down to ``poll`` seconds, until it is finished or ``timeout`` has passed; and
``Handle``, what every handle shares (its status document, read dict-style too, its URL,
its ``repr``, and the wait: finished and SUCCEEDED, else ``ItemFailed``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from backtest_client.errors import ItemFailed, WaitTimeout

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FIRST_POLL_S = 0.2
"""The first pause; each next one doubles, up to the caller's ``poll``."""


def poll_until(
    ask: Callable[[], Any],
    finished: Callable[[Any], bool],
    *,
    what: str,
    timeout: float | None,
    poll: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wait_of: Callable[[Any], float] | None = None,
) -> Any:
    """``ask()`` until ``finished`` holds for its answer; returns that answer. ``wait_of``
    (optional): the pause an answer names itself (its ``Retry-After``; 0: none), taken
    instead of the next quick poll.

    :raise WaitTimeout: ``timeout`` seconds passed first (None waits for ever).
    """
    if poll <= 0:
        raise ValueError("poll must be greater than 0")
    deadline = None if timeout is None else clock() + timeout
    pause = min(FIRST_POLL_S, poll)
    while True:
        answer = ask()
        if finished(answer):
            return answer
        pause = (wait_of(answer) if wait_of is not None else 0) or pause
        if deadline is not None and clock() + pause > deadline:
            raise WaitTimeout(f"{what} is not finished after {timeout:g} s; it goes on")
        sleep(pause)
        pause = min(pause * 2, poll)


class Handle:
    """One submitted thing on the platform, by its id (``_ident``): ``last`` is its latest
    status document, ``refresh`` asks for it once at ``status_url``; ``accepted`` is the
    submission's answer when this handle made it (else empty). ``handle["status"]`` (and
    ``handle.get(key, default)``) read ``last`` as a dict. A subclass names its
    ``FINISHED`` statuses, the ``STATUS_PATH`` of its status document (``{}`` for the id),
    its ``NOUN`` in messages and its ``ID_FIELD``: the attribute holding its id, and the
    acceptance answer's field naming it.

    Every kind waits alike (docs/client.md, "Waiting"): ``wait`` returns the handle once its
    item SUCCEEDED (a run: its ``Result``), and raises ``ItemFailed`` (a subclass for runs and
    sweeps) when it ended otherwise."""

    FINISHED: ClassVar[tuple[str, ...]]
    STATUS_PATH: ClassVar[str]
    NOUN: ClassVar[str]
    ID_FIELD: ClassVar[str]

    def __init__(self, http: Transport, ident: str, accepted: dict[str, Any] | None = None) -> None:
        self.http = http
        self._ident = ident
        self.accepted = accepted or {}
        self.last: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._ident} {self.last.get('status', '?')}>"

    def __getitem__(self, key: str) -> Any:
        """``last[key]``: the latest status document's field, as ``wait``'s dict gave it."""
        return self.last[key]

    def get(self, key: str, default: Any = None) -> Any:
        """``last.get(key, default)``."""
        return self.last.get(key, default)

    @property
    def status_url(self) -> str:
        return self.STATUS_PATH.format(self._ident)

    @property
    def what(self) -> str:
        """How messages name it: its noun and id."""
        return f"{self.NOUN} {self._ident}"

    def refresh(self) -> dict[str, Any]:
        """Ask the platform once; the status document (``last``)."""
        self.last = self.http.get_json(self.status_url)
        return self.last

    def _wait_finished(self, timeout: float | None, poll: float) -> dict[str, Any]:
        """``refresh`` until the status is one of ``FINISHED``; that status document.

        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        return poll_until(
            self.refresh,
            lambda doc: doc["status"] in self.FINISHED,
            what=self.what,
            timeout=timeout,
            poll=poll,
            sleep=self.http.sleep,
            clock=self.http.clock,
        )

    def _wait_succeeded(self, timeout: float | None, poll: float) -> dict[str, Any]:
        """``_wait_finished``, then the final status document if it SUCCEEDED.

        :raise ItemFailed: it ended otherwise (its ``error_message``, else ``error``).
        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        document = self._wait_finished(timeout, poll)
        if document["status"] != "SUCCEEDED":
            error = document.get("error_message") or document.get("error")
            raise ItemFailed(self.what, document["status"], error, item=self)
        return document
