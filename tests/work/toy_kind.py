"""A toy kind of work, written the way docs/work-kinds.md says a new kind is written: its
package-like module (this file: its table, its computation, its ``WorkKind`` and its API
blueprint; its page with its navigation entry is ``tests/work/toy_pages.py``) plus its
registry entry (``kinds.registry.register(TOY)`` at run time, the in-process twin of a line
in ``kinds.registry.KINDS``). Nothing else in the platform is edited for it;
``tests/work/test_toy_kind.py`` drives it through submit → queue → consumer → reaper
recovery → SUCCEEDED.

A toy item squares ``n``. Its first delivery blocks (so a test can kill its consumer
mid-item) when the message names a ``block_file`` that does not exist yet: it creates it and
sleeps.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, url_for
from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from store import work_item_columns
from web.body import json_object
from web.db import get_session
from web.errors import ApiError
from web.submit import Submission, submit_work
from work.kind import Claim, WorkKind
from work.status import RunStatus
from work.transitions import ItemTable, new_item, succeed_item

TABLE = "toy_items"

METADATA = MetaData()
TOY_ITEMS = Table(
    TABLE,
    METADATA,
    Column("toy_id", String(36), primary_key=True),
    *work_item_columns.current_columns(),
    Column("payload_json", Text, nullable=False),
    Column("square", Integer),
)
"""The toy's table: the work-item columns every kind's table has (``store.work_item_columns``),
its message, its result."""


@dataclass(frozen=True)
class Squared:
    """A computed toy item."""

    toy_id: str
    square: int

    def store(self, tx) -> bool:
        return succeed_item(tx, TABLE, "toy_id", self.toy_id, square=self.square)

    def summary(self, elapsed_ms: float) -> str:
        return f"squared in {elapsed_ms:.0f} ms"


def compute(claim: Claim, message: dict[str, Any]) -> Squared:
    """Square ``n``; block on the first delivery when ``block_file`` is named and absent."""
    block = message.get("block_file")
    if block and not Path(block).exists():
        Path(block).write_text(claim.worker, encoding="utf-8")
        time.sleep(600)
    return Squared(claim.item_id, int(message["n"]) ** 2)


bp = Blueprint("toys", __name__, url_prefix="/api/toys")


@bp.post("")
def submit():
    """Validate a toy, record it PENDING and queue it; 202 with its URL."""
    body = json_object()
    if not isinstance(body.get("n"), int) or isinstance(body["n"], bool):
        raise ApiError(400, "n must be a whole number", field="n")
    message = {"toy_id": str(uuid.uuid4()), "n": body["n"], "block_file": body.get("block_file")}

    def insert(session, queue: str) -> None:
        session.execute(
            TOY_ITEMS.insert().values(
                toy_id=message["toy_id"],
                **new_item(queue),
                payload_json=json.dumps(message),
            )
        )

    def fail(session, error: str) -> int:
        return int(TOY.mark_failed(session, message["toy_id"], error))

    submit_work(TOY, ("toy_id", message["toy_id"]), Submission(insert, [message], fail))
    status_url = url_for("toys.status", toy_id=message["toy_id"])
    return {"toy_id": message["toy_id"], "status": RunStatus.PENDING, "status_url": status_url}, 202


@bp.get("/<toy_id>")
def status(toy_id: str):
    """A toy's status and, once SUCCEEDED, its square."""
    row = get_session().execute(TOY_ITEMS.select().where(TOY_ITEMS.c.toy_id == toy_id)).first()
    if row is None:
        abort(404)
    return {"toy_id": toy_id, "status": row.status, "attempts": row.attempts, "square": row.square}


TOY = WorkKind(
    name="toy",
    function="tests.work.toy_kind.square",
    items=ItemTable(name=TABLE, id_field="toy_id"),
    compute=compute,
    describe=lambda message: f"toy {message['toy_id']}",
    resource="toys",
    blueprints=(__name__, "tests.work.toy_pages"),
)
"""The toy kind: on the shared queue, every transition the protocol's default."""
