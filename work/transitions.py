"""The guarded, forward-only status transition every kind's rows use (timestamps come from
``store.models.utcnow``; a whole transaction is retried by ``work.retry``).

A transition is one ``UPDATE … WHERE <id> = ? AND status IN (expected)``: it changes nothing
when the row is not in an expected state, so a duplicate or late delivery can never move an
item backwards or overwrite a finished outcome. Nothing here commits: the caller owns the
transaction (``with session.begin():``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm import Session

ERROR_MESSAGE_MAX = 2000
"""Stored error messages are cut to this many characters."""


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
