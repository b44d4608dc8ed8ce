"""Running one whole database transaction again when the database, not the work, failed.

Two kinds of failure are worth a retry, and nothing else is:

* a lost InnoDB deadlock or lock-wait timeout (``DEADLOCK_ERRORS``): tried again after a
  short pause that grows and is jittered (two transactions that collided do not collide
  again in step), until it commits or ``db_retry_seconds()`` is spent — not a fixed number
  of times: a computed result is never thrown away because it lost a lock conflict;
* a lost or refused connection (a failover, a restart, a network blip: ``is_disconnect``):
  tried again with exponential backoff for up to ``db_retry_seconds()`` (DB_RETRY_SECONDS,
  default 120 s, longer than a typical MySQL failover), then ``DatabaseUnavailable``.

The call must be a whole transaction (e.g. a ``with session.begin():`` block, which rolls
back on error), so running it again is safe. A computed result is stored by such a call: a
database that is away or busy for a while delays the write, it does not lose it. (The
writers of one study's rows take their locks in one order and cannot deadlock each other:
``kinds.studies.state``.)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from config import process

T = TypeVar("T")

logger = logging.getLogger("work.retry")

DEADLOCK_ERRORS = (1213, 1205)
"""MySQL error codes of a lost deadlock and a lock-wait timeout: the transaction may be
tried again."""

DISCONNECT_ERRORS = (1040, 1053, 2002, 2003, 2005, 2006, 2013, 2055, 4031)
"""MySQL/MariaDB client and server codes that mean "no usable connection": too many
connections, server shutdown, cannot connect, unknown host, server gone away, lost
connection, lost with a system error, disconnected by the server."""

DEFAULT_DB_RETRY_SECONDS = process.DB_RETRY_SECONDS.default
FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.5, 8.0
FIRST_DEADLOCK_PAUSE_S, MAX_DEADLOCK_PAUSE_S = 0.05, 2.0
"""The pause before the first retry of a lost deadlock, and the most it grows to (doubling,
each pause jittered to between half and all of it)."""


class DatabaseUnavailable(Exception):
    """The database stayed unreachable for the whole retry budget."""

    def __init__(self, waited_s: float, cause: BaseException) -> None:
        super().__init__(f"database unavailable for {waited_s:.0f} s: {cause}")
        self.waited_s = waited_s


def db_retry_seconds() -> float:
    """DB_RETRY_SECONDS (default 120): how long a lost connection is retried before the
    transaction gives up."""
    return process.DB_RETRY_SECONDS.value()


def is_driver_error(exc: BaseException) -> bool:
    """A database driver's error as SQLAlchemy (``DBAPIError``) or a Job's plain connection
    (``store.dbapi.DriverError``) raises it: both carry the driver's exception as ``orig``
    and say ``connection_invalidated``. (Read by those two attributes, so a Job need not
    import SQLAlchemy to classify its errors.)"""
    return hasattr(exc, "orig") and hasattr(exc, "connection_invalidated")


def _mysql_code(exc: BaseException) -> object:
    orig = getattr(exc, "orig", None)
    return (getattr(orig, "args", ()) or (None,))[0] if orig is not None else None


def is_deadlock(exc: BaseException) -> bool:
    """A lost deadlock or lock-wait timeout."""
    return is_driver_error(exc) and _mysql_code(exc) in DEADLOCK_ERRORS


def is_disconnect(exc: BaseException) -> bool:
    """The connection was lost or could not be made (as opposed to a bad statement)."""
    if not is_driver_error(exc):
        return False
    return bool(exc.connection_invalidated) or _mysql_code(exc) in DISCONNECT_ERRORS


def retry_transaction(
    call: Callable[[], T],
    *,
    budget_s: float | None = None,
    deadlock_attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call`` (one whole transaction) until it returns; run it again after a lost
    deadlock or lock-wait timeout (after a growing, jittered pause: until the budget is
    spent, or at most ``deadlock_attempts`` times in all when given) or a lost connection
    (with backoff), for at most ``budget_s`` (default ``db_retry_seconds()``) in all. Other
    errors propagate at once; so does a deadlock when its attempts or the budget are spent.

    :raise DatabaseUnavailable: the connection was still failing when the budget ran out.
    """
    budget = db_retry_seconds() if budget_s is None else budget_s
    started = time.monotonic()
    deadlocks = 0
    backoff = FIRST_BACKOFF_S
    while True:
        try:
            return call()
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            waited = time.monotonic() - started
            if is_deadlock(exc):
                deadlocks += 1
                pause = _deadlock_pause(deadlocks)
                if deadlock_attempts is not None and deadlocks >= deadlock_attempts:
                    raise
                if waited + pause > budget:
                    raise
                logger.warning(
                    "lost a lock conflict (%s); trying the transaction again in %.2f s "
                    "(retry %d, %.0f of %.0f s used)",
                    _mysql_code(exc),
                    pause,
                    deadlocks,
                    waited,
                    budget,
                )
                sleep(pause)
                continue
            if not is_disconnect(exc):
                raise
            if waited + backoff > budget:
                raise DatabaseUnavailable(waited, exc.orig or exc) from exc
            logger.warning(
                "database unavailable (%s); retrying in %.1f s (%.0f of %.0f s used)",
                _mysql_code(exc) or type(exc.orig).__name__,
                backoff,
                waited,
                budget,
            )
            sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)


def _deadlock_pause(retry: int) -> float:
    """Seconds to wait before retry number ``retry`` (from 1) of a lost deadlock."""
    ceiling = min(FIRST_DEADLOCK_PAUSE_S * 2 ** (retry - 1), MAX_DEADLOCK_PAUSE_S)
    return ceiling * random.uniform(0.5, 1.0)  # jitter, not a secret
