"""Writing the CSV parts a compactly stored sweep's finished chunks lack, as a kind of queued
work (``work.kind``): the first download of such a sweep's ``results.csv`` queues one
(``kinds.sweeps.csv_preparing``) on the sweep queue, and its Job evaluates each chunk that
lacks its part again from the chunk's stored message and stores the part
(``kinds.sweeps.csv_backfill.backfill``, what ``python -m kinds.sweeps.csv_backfill`` runs),
committing one part at a time: a Job stopped half way leaves the parts it wrote, and the
next resumes after them. Then SUCCEEDED, with the protocol's transitions and the reaper's
generic recovery (docs/sweeps.md, "CSV").

Its Job reads the sweep through SQLAlchemy (the backfill's one implementation, shared with
the command), imported when it computes: its import is a fraction of a second beside the
seconds each chunk's evaluation takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from work.kind import Claim, WorkFailed, WorkKind
from work.transitions import ItemTable, succeed_item

if TYPE_CHECKING:  # pragma: no cover
    from store.dbapi import Tx

FUNCTION = "kinds.sweeps.backfill_kind.run_csv_backfill"
"""The job name every queued backfill carries (never changes)."""

TABLE = "sweep_csv_backfills"
"""One row per queued backfill (``store.models.SweepCsvBackfill``)."""


def backfill_id(sweep_id: str, number: int) -> str:
    """The id of the sweep's ``number``-th backfill (from 1), also its RQ job id."""
    return f"{sweep_id}-csv{number}"


@dataclass
class BackfillExecution:
    """A backfill done: how many parts its Job wrote (each committed as it was written)."""

    backfill_id: str
    written: int

    def store(self, tx: Tx) -> bool:
        return succeed_item(tx, TABLE, "backfill_id", self.backfill_id)

    def summary(self, elapsed_ms: float) -> str:
        return f"succeeded in {elapsed_ms:.0f} ms: {self.written} CSV parts written"


def compute(claim: Claim, message: dict[str, Any]) -> BackfillExecution:
    """Write every CSV part the sweep's finished chunks lack (module docstring).

    :raise WorkFailed: the sweep is gone.
    :raise RequestError: a chunk's message or its data can no longer be evaluated.
    """
    from kinds.sweeps.csv_backfill import backfill
    from store.db import make_engine, make_sessionmaker
    from store.models import Sweep

    engine = make_engine()  # DATABASE_URL's; its one connection is closed when done
    try:
        with make_sessionmaker(engine)() as session:
            sweep = session.get(Sweep, message["sweep_id"])
            if sweep is None:
                raise WorkFailed(f"sweep {message['sweep_id']} no longer exists")
            return BackfillExecution(claim.item_id, backfill(session, sweep))
    finally:
        engine.dispose()


def _describe(payload: dict[str, Any]) -> str:
    return f"CSV backfill of sweep {payload['sweep_id']}"


CSV_BACKFILL = WorkKind(
    name="sweep csv backfill",
    function=FUNCTION,
    items=ItemTable(name=TABLE, id_field="backfill_id"),
    compute=compute,
    describe=_describe,
    queue="sweeps",
    queue_env="SWEEP_QUEUE",
)
"""The CSV backfill kind."""
