"""The guarded, forward-only status transition every kind's rows use, and the retry of a
transaction that lost an InnoDB deadlock (timestamps come from ``store.models.utcnow``).

A transition is one ``UPDATE … WHERE <id> = ? AND status IN (expected)``: it changes nothing
when the row is not in an expected state, so a duplicate or late delivery can never move an
item backwards or overwrite a finished outcome. Nothing here commits: the caller owns the
transaction (``with session.begin():``), and ``retry_deadlocks`` re-runs a whole one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

T = TypeVar("T")

ERROR_MESSAGE_MAX = 2000
"""Stored error messages are cut to this many characters."""

DEADLOCK_ERRORS = (1213, 1205)
"""MySQL error codes of a lost deadlock and a lock-wait timeout: the transaction may be
tried again."""


def retry_deadlocks(call: Callable[[], T], attempts: int = 3) -> T:
    """Run ``call`` (one whole transaction, e.g. a ``with session.begin():`` block, which
    rolls back on error) again when MySQL reports a deadlock or a lock-wait timeout; other
    errors propagate at once."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except OperationalError as exc:
            code = getattr(exc.orig, "args", (None,))[0]
            if code not in DEADLOCK_ERRORS or attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def guarded_update(key_column, key: str, expected: Iterable[str], **values: object):
    """``UPDATE <table> SET values WHERE key = ? AND status IN (expected)``: the one status
    guard of every forward-only transition."""
    table = key_column.class_
    return (
        update(table)
        .where(key_column == key, table.status.in_(tuple(expected)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def transition(
    session: Session, key_column, key: str, expected: Iterable[str], **values: object
) -> bool:
    """Execute ``guarded_update`` in the caller's transaction; True if the row was in an
    expected state (and so was changed)."""
    return session.execute(guarded_update(key_column, key, expected, **values)).rowcount == 1
