"""The rows of a kind whose API comes from its declaration (``WorkKind.request``;
docs/work-kinds.md): SQL over its table (``WorkKind.table``, keyed by ``id_field``, its message
in ``message_column``, the work-item and ownership columns of
``store.work_item_columns.kind_table_columns`` and its ``result_columns``) and the document
the API and its page show of one. Shared by the JSON API (``web.api.kind``) and the page
(``web.pages.kind``); nothing here commits (the caller's transaction)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import url_for

from store.columns import iso_utc
from web.ownership import visible
from work.transitions import new_item

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Row
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import TableClause

    from work.kind import WorkKind

LISTED = 100
"""The most items a list shows (newest first)."""

TIMES = ("created_at", "started_at", "completed_at")


def table_of(kind: WorkKind) -> TableClause:
    """``kind``'s table, with the columns read and written here."""
    columns = [
        sa.column(kind.id_field, sa.String),
        sa.column(kind.message_column, sa.Text),
        sa.column("queue", sa.String),
        sa.column("status", sa.String),
        sa.column("error_message", sa.Text),
        sa.column("attempts", sa.Integer),
        *(sa.column(name, sa.DateTime) for name in TIMES),
        sa.column("created_by", sa.String),
        sa.column("shared", sa.Boolean),
        *(sa.column(name) for name in kind.result_columns),
    ]
    return sa.table(kind.table, *columns)


def insert_item(
    session: Session, kind: WorkKind, message: dict[str, Any], queue: str, created_by: str | None
) -> None:
    """Record ``message`` as a PENDING item of ``kind`` on ``queue``, owned by ``created_by``."""
    session.execute(
        table_of(kind)
        .insert()
        .values(
            {
                kind.id_field: message[kind.id_field],
                kind.message_column: json.dumps(message),
                **new_item(queue),
                "created_by": created_by,
                "shared": False,
            }
        )
    )


def item_row(session: Session, kind: WorkKind, item_id: str) -> Row | None:
    """The row of ``kind`` keyed ``item_id``, or None."""
    table = table_of(kind)
    return session.execute(table.select().where(table.c[kind.id_field] == item_id)).first()


def item_rows(session: Session, kind: WorkKind) -> list[Row]:
    """The newest ``LISTED`` rows of ``kind`` the viewer may see (``web.ownership.visible``)."""
    table = table_of(kind)
    query = table.select().where(visible(table.c)).order_by(table.c.created_at.desc())
    return list(session.execute(query.limit(LISTED)))


def set_item_shared(session: Session, kind: WorkKind, item_id: str, shared: bool) -> None:
    """Share the item read-only, or stop."""
    table = table_of(kind)
    key = table.c[kind.id_field]
    session.execute(table.update().where(key == item_id).values(shared=shared))


def document(kind: WorkKind, row: Row) -> dict[str, Any]:
    """What the API answers of one item: its id, status, attempts, error, times, owner,
    sharing, status URL, request and ``result_columns``."""
    values = row._mapping
    item_id = values[kind.id_field]
    return {
        kind.id_field: item_id,
        "status": values["status"],
        "attempts": values["attempts"],
        "error": values["error_message"],
        **{name: iso_utc(values[name]) for name in TIMES},
        "created_by": values["created_by"],
        "shared": bool(values["shared"]),
        "status_url": url_for(f"{kind.resource}.status", **{kind.id_field: item_id}),
        "request": json.loads(values[kind.message_column]),
        **{name: values[name] for name in kind.result_columns},
    }
