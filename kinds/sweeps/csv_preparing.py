"""The CSV backfill a download asks for (docs/sweeps.md, "CSV"): a compactly stored sweep
whose finished chunks lack their CSV parts (stored before the parts were, or under other
metrics) gets them written by a queued Job (``kinds.sweeps.backfill_kind``), never by the
web. At most one backfill of a sweep waits or runs at a time, however many downloads ask:
the sweep's backfills are numbered (``<sweep_id>-csv<n>``), a download that finds one
PENDING or RUNNING answers with it, and two that start the next at the same moment insert
the same id, so one of them finds it taken and answers with the other's. After
``MAX_FAILED`` backfills of a sweep failed while running, none is started again: the
download answers the last one's error (an operator's ``python -m kinds.sweeps.csv_backfill``
remains).
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass

from rq import Queue
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinds.sweeps.backfill_kind import CSV_BACKFILL, TABLE, backfill_id
from store.models import Sweep, SweepCsvBackfill
from work.status import RunStatus
from work.submit import Submission, submit
from work.transitions import STARTABLE, fail_item, new_item

MAX_FAILED = 3
"""Backfills of one sweep that may fail while running before downloads stop starting more
(one that was never delivered, its enqueue refused, does not count)."""


@dataclass(frozen=True)
class Preparing:
    """The backfill that prepares a sweep's CSV: its id and status (PENDING or RUNNING)."""

    backfill_id: str
    status: str


class BackfillFailed(Exception):
    """The sweep's backfills failed ``MAX_FAILED`` times; ``error`` is the last one's."""

    def __init__(self, backfill_id: str, error: str) -> None:
        super().__init__(error)
        self.backfill_id = backfill_id
        self.error = error


def _number(row_id: str) -> int:
    return int(row_id.rsplit("-csv", 1)[1])


def prepare_csv(session: Session, queue: Queue, sweep: Sweep) -> Preparing:
    """The sweep's waiting or running backfill, or a new one recorded and queued on
    ``queue`` (``work.submit``: its own transaction; the caller's reads are committed
    first).

    :raise BackfillFailed: ``MAX_FAILED`` of its backfills failed while running.
    :raise work.retry.DatabaseUnavailable: the database stayed away (nothing recorded).
    :raise work.submit.QueueUnavailable: Redis refused the enqueue (the backfill FAILED).
    :raise work.submit.AlreadyQueued: the queue knew its id (the backfill FAILED).
    """
    rows = sorted(
        session.execute(
            select(
                SweepCsvBackfill.backfill_id,
                SweepCsvBackfill.status,
                SweepCsvBackfill.attempts,
                SweepCsvBackfill.error_message,
            ).where(SweepCsvBackfill.sweep_id == sweep.sweep_id)
        ).all(),
        key=lambda row: _number(row.backfill_id),
    )
    if rows and rows[-1].status in STARTABLE:
        return Preparing(rows[-1].backfill_id, rows[-1].status)
    failed = [row for row in rows if row.status == RunStatus.FAILED and row.attempts > 0]
    if len(failed) >= MAX_FAILED:
        raise BackfillFailed(failed[-1].backfill_id, failed[-1].error_message or "")
    new_id = backfill_id(sweep.sweep_id, len(rows) + 1)
    message = {"backfill_id": new_id, "sweep_id": sweep.sweep_id}

    def insert(session: Session, queue_name: str) -> None:
        session.add(
            SweepCsvBackfill(
                backfill_id=new_id,
                sweep_id=sweep.sweep_id,
                payload_json=json.dumps(message),
                **new_item(queue_name),
            )
        )

    def fail(session: Session, error: str) -> int:
        return int(fail_item(session, TABLE, "backfill_id", new_id, error))

    session.commit()
    with suppress(IntegrityError):  # another download recorded and queued it a moment before
        submit(session, queue, CSV_BACKFILL, Submission(insert, [message], fail))
    return Preparing(new_id, RunStatus.PENDING)


__all__ = ["MAX_FAILED", "BackfillFailed", "Preparing", "prepare_csv"]
