"""The work-item protocol: what a kind of queued work (runs, sweep chunks, …) declares so the
generic skeleton (``work.lifecycle``), the consumer (``consumer.worker``) and the reaper
(``consumer.reaper``) can handle it without knowing it.

A kind is one ``WorkKind`` value in its own package, registered once in ``consumer.kinds``.
Every store callable takes a database handle and does NOT commit: the caller owns the
transaction. The Job's callables (transitions, ``get``, ``Execution.store``) run plain SQL
on a ``store.dbapi.Tx`` — the Job's own connection, or an SQLAlchemy session in the web and
the reaper — so a Job imports no SQLAlchemy; the reaper's list (``in_status``) takes a
session. Transitions are guarded and forward only (``work.status``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from work.status import RunStatus

if TYPE_CHECKING:  # pragma: no cover - hints only: a Job imports neither SQLAlchemy's ORM nor
    from rq import Queue  # RQ's queue before it needs them
    from rq.job import Job
    from sqlalchemy.orm import Session

    from store.dbapi import Database, Tx


class WorkFailed(Exception):
    """Raised by a kind's ``compute`` for an item that cannot succeed; ``message`` is
    user-safe and is stored as the item's error (the item ends FAILED)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Claim:
    """A delivery being started: the item's id, who runs it (pod:pid) and when the consumer
    took it (``time.time()`` right after the claim file was touched)."""

    item_id: str
    worker: str
    claimed_at: float


class Execution(Protocol):
    """What a kind's ``compute`` returns: an item computed and ready to be stored."""

    def store(self, tx: Tx) -> bool:
        """Write the outcome inside the caller's transaction, its first statement the
        guarded RUNNING → SUCCEEDED UPDATE; False (and nothing written) when the item was
        no longer RUNNING."""
        ...

    def summary(self, elapsed_ms: float) -> str:
        """The log line of a stored success (``elapsed_ms``: compute start to stored)."""
        ...


@dataclass(frozen=True)
class StoredItem:
    """What the skeleton reads from a kind's row: its status, how many deliveries started it,
    and its stored message (JSON text: the request a run stores, the message a chunk
    stores)."""

    status: str
    attempts: int
    message_json: str

    def message(self) -> dict[str, Any]:
        """The stored message, parsed."""
        return json.loads(self.message_json)


@dataclass(frozen=True)
class WorkKind:
    """One kind of queued work item.

    ``function`` is the dotted path RQ calls with the item's message (a JSON object);
    ``aliases`` are older dotted paths still resolving to the same kind (messages queued
    before a rename). ``id_field`` names the item id in the message; the id is also the RQ
    job id and the row's primary key.

    Store transitions (all guarded, none committing; ``handle`` a ``store.dbapi.Tx`` or a
    session): ``mark_running(handle, claim)`` PENDING/RUNNING → RUNNING;
    ``mark_failed(handle, item_id, message, *, expected=…)`` PENDING/RUNNING → FAILED with a
    user-safe message — the failure recorder the consumer and the reaper use;
    ``get(handle, item_id)`` the row's ``StoredItem`` or None.

    The ``StoredItem``'s message is the item's stored message (the request a run stores, the
    message a chunk stores): the database, not the queue, decides what runs, so a rewritten
    queue payload can never make a row's result disagree with its stored request.
    ``compute(claim, message)`` does the work outside any transaction and returns an
    ``Execution``; it raises ``kinds.runs.contract.RequestError`` or ``WorkFailed`` for an item
    that cannot succeed (stored FAILED with that message), anything else for a bug (stored
    FAILED with ``work.lifecycle.INTERNAL_ERROR``). ``fail_execution`` records those
    failures (default: ``mark_failed``).

    Reaper hook: ``in_status(session, status, *, queue, older_than)`` lists a queue's rows
    stuck in a status; ``requeue(queue, row)`` enqueues a row's stored message again and
    raises ``RequestError``/``ValueError`` when that message is unusable (the row is FAILED).
    ``describe(payload)`` is the RQ job's description.

    ``finished(database, claim, message)`` (optional) runs after the item's outcome
    (SUCCEEDED or FAILED) was committed, with the item's stored message: what a kind does
    once an item is done, e.g. a sweep chunk queueing the walk-forward fold its sweep
    feeds (``work.queue.enqueue_follow_up``). It must be idempotent (a reaper pass is its
    backstop); an exception it raises is logged and never changes the stored outcome.
    """

    name: str
    function: str
    id_field: str
    mark_running: Callable[[Tx, Claim], bool]
    mark_failed: Callable[..., bool]
    get: Callable[[Tx, str], StoredItem | None]
    compute: Callable[[Claim, dict[str, Any]], Execution]
    in_status: Callable[..., Sequence[Any]]
    requeue: Callable[[Queue, Any], None]
    describe: Callable[[dict[str, Any]], str]
    aliases: tuple[str, ...] = ()
    fail_execution: Callable[[Tx, str, str], bool] | None = None
    finished: Callable[[Database, Claim, dict[str, Any]], None] | None = None

    @property
    def functions(self) -> tuple[str, ...]:
        """Every dotted path whose queued messages are items of this kind."""
        return (self.function, *self.aliases)

    def item_id(self, payload: object) -> str:
        """The item id a message names ("" when it names none)."""
        return str(payload.get(self.id_field, "")) if isinstance(payload, dict) else ""

    def key(self, row: Any) -> str:
        """The item id of a stored row."""
        return str(getattr(row, self.id_field))

    def record_failure(self, handle: Tx, item_id: str, message: str) -> bool:
        """Store an execution failure (``fail_execution``, else ``mark_failed``)."""
        fail = self.fail_execution or self.mark_failed
        return fail(handle, item_id, message)

    def enqueue(self, queue: Queue, payload: dict[str, Any]) -> Job:
        """Push one item's message with the queue's one policy (``work.queue``)."""
        from work.queue import enqueue_message

        return enqueue_message(
            queue, self.function, payload, self.item_id(payload), self.describe(payload)
        )

    def stuck(
        self, session: Session, status: RunStatus, *, queue: str, older_than: datetime
    ) -> list[Any]:
        """Rows of ``queue`` in ``status`` since before ``older_than`` (the reaper's list)."""
        return list(self.in_status(session, status, queue=queue, older_than=older_than))
