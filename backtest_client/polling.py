"""Waiting for a run or a sweep: ask, sleep, ask again, with a start of quick polls that
slows down to ``poll`` seconds, until it is finished or ``timeout`` has passed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from backtest_client.errors import WaitTimeout

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
