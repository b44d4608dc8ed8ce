"""The guarded, forward-only status transition every kind's rows use (timestamps come from
``store.clock.utcnow``, stamped by the caller; a whole transaction is retried by ``work.retry``).

A transition is one ``UPDATE … WHERE <id> = ? AND status IN (expected)``: it changes nothing
when the row is not in an expected state, so a duplicate or late delivery can never move an
item backwards or overwrite a finished outcome. It is plain SQL on a ``store.dbapi.Tx`` — a
Job's own connection, or an SQLAlchemy session (``as_tx``) in the web and the reaper — so a
Job needs no SQLAlchemy. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.clock import utcnow
from store.dbapi import Increment, as_tx, update_sql
from work.status import RunStatus


@dataclass(frozen=True)
class StoredItem:
    """What the skeleton reads from a kind's row: its status, how many deliveries started it,
    its stored message (JSON text: the request a run stores, the message a chunk stores)
    and the queue it goes to (None when not read)."""

    status: str
    attempts: int
    message_json: str
    queue: str | None = None

    def message(self) -> dict[str, Any]:
        """The stored message, parsed."""
        return json.loads(self.message_json)


@dataclass(frozen=True)
class ItemTable:
    """A kind's row, the three names every transition of it takes together: the table
    (``name``), its key column (``id_field``: also the message's id field and the RQ job
    id) and the column holding the stored message (``message_column``)."""

    name: str
    id_field: str
    message_column: str = "payload_json"


ERROR_MESSAGE_MAX = 2000
"""Stored error messages are cut to this many characters."""

WORKER_MAX = 128
"""Stored worker names (pod:pid) are cut to this many characters."""


def new_item(queue: str, now: datetime | None = None) -> dict[str, Any]:
    """The work-item columns of a new row, by name: PENDING on ``queue``, no delivery yet,
    created ``now`` (default: this moment). Every kind's INSERT spreads it (ORM or plain
    SQL), so a new item starts the same way whatever its kind."""
    return {
        "status": RunStatus.PENDING,
        "queue": queue,
        "attempts": 0,
        "created_at": utcnow() if now is None else now,
    }


STARTABLE = (RunStatus.PENDING, RunStatus.RUNNING)
"""What an item may be in when a delivery starts it, or when it fails: waiting, or RUNNING
(an abandoned delivery retried: a consumer starts only the one live delivery of an item,
``work.claim``)."""


def transition(
    handle: Any, table: str, key_column: str, key: str, expected: Iterable[str], **values: object
) -> bool:
    """``UPDATE table SET values WHERE key_column = key AND status IN (expected)`` in the
    caller's transaction (``handle``: a ``Tx`` or a session); True if the row was in an
    expected state (and so was changed)."""
    expected = tuple(expected)
    sql, params = update_sql(table, key_column, values)
    sql += f" AND status IN ({', '.join('?' * len(expected))})"
    return as_tx(handle).execute(sql, [*params, key, *expected]) == 1


def start_item(
    handle: Any, table: str, key_column: str, key: str, worker: str, **values: object
) -> bool:
    """PENDING → RUNNING (or RUNNING again, when an abandoned item is retried): the start
    time, who runs it and one more attempt, plus a kind's own ``values`` (a chunk's
    start-up time); False if the item is finished."""
    return transition(
        handle,
        table,
        key_column,
        key,
        STARTABLE,
        status=RunStatus.RUNNING,
        started_at=utcnow(),
        worker=worker[:WORKER_MAX],
        attempts=Increment(1),
        **values,
    )


def succeed_item(handle: Any, table: str, key_column: str, key: str, **values: object) -> bool:
    """RUNNING → SUCCEEDED with the completion time and a kind's own ``values`` (its
    result), clearing any error an earlier delivery left; False, with nothing written, if
    the item was not RUNNING (a duplicate or late delivery). The first statement of every
    kind's ``Execution.store``."""
    return transition(
        handle,
        table,
        key_column,
        key,
        (RunStatus.RUNNING,),
        status=RunStatus.SUCCEEDED,
        completed_at=utcnow(),
        error_message=None,
        **values,
    )


def fail_item(
    handle: Any,
    table: str,
    key_column: str,
    key: str,
    message: str,
    expected: Iterable[str] = STARTABLE,
    **values: object,
) -> bool:
    """``expected`` (PENDING/RUNNING) → FAILED with a user-safe message (cut to
    ``ERROR_MESSAGE_MAX``) and the completion time, plus a kind's own ``values``; False if
    the item was not in an expected state."""
    return transition(
        handle,
        table,
        key_column,
        key,
        expected,
        status=RunStatus.FAILED,
        error_message=message[:ERROR_MESSAGE_MAX],
        completed_at=utcnow(),
        **values,
    )


def beat_item(handle: Any, table: str, key_column: str, key: str, worker: str) -> bool:
    """The liveness of a RUNNING item: ``heartbeat_at`` now, only while the item is RUNNING
    under ``worker`` (the delivery that started it: a later delivery's start or a finished
    outcome stops the beat); False if it is not."""
    sql, params = update_sql(table, key_column, {"heartbeat_at": utcnow()})
    sql += " AND status = ? AND worker = ?"
    return as_tx(handle).execute(sql, [*params, key, RunStatus.RUNNING, worker[:WORKER_MAX]]) == 1


def stored_item(
    handle: Any, table: str, key_column: str, key: str, message_column: str
) -> StoredItem | None:
    """The row's status, attempts, stored message (``message_column``) and queue, or None:
    what the skeleton reads in the transaction that marks an item RUNNING."""
    row = as_tx(handle).fetchone(
        f"SELECT status, attempts, {message_column}, queue FROM {table} WHERE {key_column} = ?",
        (key,),
    )
    if row is None:
        return None
    return StoredItem(row["status"], row["attempts"], row[message_column], row["queue"])
