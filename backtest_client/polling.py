"""Waiting for a run, a sweep or a walk-forward: ask, sleep, ask again, with a start of
quick polls that slows down to ``poll`` seconds, until it is finished or ``timeout`` has
passed; and ``Handle``, what the three handles share (their status document, its URL,
their ``repr`` and the wait)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from backtest_client.errors import WaitTimeout

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
) -> Any:
    """``ask()`` until ``finished`` holds for its answer; returns that answer.

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
        if deadline is not None and clock() + pause > deadline:
            raise WaitTimeout(f"{what} is not finished after {timeout:g} s; it goes on")
        sleep(pause)
        pause = min(pause * 2, poll)


class Handle:
    """One submitted thing on the platform, by its id (``_ident``): ``last`` is its latest
    status document, ``refresh`` asks for it once at ``status_url``; ``accepted`` is the
    submission's answer when this handle made it (else empty). A subclass names its
    ``FINISHED`` statuses, the ``STATUS_PATH`` of its status document (``{}`` for the id),
    its ``NOUN`` in messages and its ``ID_FIELD``: the attribute holding its id, and the
    acceptance answer's field naming it."""

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

    @property
    def status_url(self) -> str:
        return self.STATUS_PATH.format(self._ident)

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
            what=f"{self.NOUN} {self._ident}",
            timeout=timeout,
            poll=poll,
            sleep=self.http.sleep,
            clock=self.http.clock,
        )
