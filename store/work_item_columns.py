"""The eight columns every kind's work-item table has, described once: its status and queue,
its error, how many deliveries started it, who runs it, and when it was created, started and
finished (``work.transitions`` and ``work.kind.WorkKind.stuck`` read and write them).

The migrations that create a work-item table (0001 ``backtest_results`` and ``sweep_chunks``,
0006 ``walkforward_folds``, 0009 ``portfolios``, 0011 ``study_batches``) take their
``sa.Column``s from ``columns()``; ``store.models.WorkItemColumns`` maps the same
descriptions (``mapped_columns()``).

Frozen: each description is the column as those tables were created with it, so editing one
here would change what old migrations make (tests/store/test_migrated_schema.py compares
them with a snapshot). A later column is a migration of its own (``op.add_column`` of
``column(...)``) and an entry of ``ADDED_COLUMNS``, which the models' mixin maps too; a
table created from now on takes ``current_columns()``: the eight and every added one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeEngine

UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
"""Naive UTC timestamps with microseconds (MySQL DATETIME has no time zone)."""
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
"""A stored message (MySQL TEXT stops at 64 KiB)."""


@dataclass(frozen=True)
class WorkItemColumn:
    """One shared column: its name, SQL type and nullability, and the value the models give
    it on insert when none is set (``model_default``: Python-side, not in the schema)."""

    name: str
    type: TypeEngine[Any]
    nullable: bool
    model_default: Any = None


WORK_ITEM_COLUMNS = (
    WorkItemColumn("status", sa.String(length=16), nullable=False),
    WorkItemColumn("queue", sa.String(length=64), nullable=False),
    WorkItemColumn("error_message", sa.Text(), nullable=True),
    WorkItemColumn("attempts", sa.Integer(), nullable=False, model_default=0),
    WorkItemColumn("worker", sa.String(length=128), nullable=True),
    WorkItemColumn("created_at", UtcDateTime, nullable=False),
    WorkItemColumn("started_at", UtcDateTime, nullable=True),
    WorkItemColumn("completed_at", UtcDateTime, nullable=True),
)
"""The work-item columns in their usual order."""

HEARTBEAT_AT = WorkItemColumn("heartbeat_at", UtcDateTime, nullable=True)
"""When the consumer running the item last beat (migration 0017): the liveness the reaper
trusts (``work.transitions.beat_item``)."""

ADDED_COLUMNS = (HEARTBEAT_AT,)
"""Work-item columns added after the tables were created, each by a migration of its own."""

_BY_NAME = {column.name: column for column in WORK_ITEM_COLUMNS}


def _server_default(column: WorkItemColumn, queue_default: str | None) -> dict[str, str]:
    return {"server_default": queue_default} if column.name == "queue" and queue_default else {}


def columns(
    *names: str, without: tuple[str, ...] = (), queue_default: str | None = None
) -> list[sa.Column[Any]]:
    """Fresh ``sa.Column``s for a migration's ``create_table``: the ``names`` given, in that
    order (when none is given, every column but those ``without``, in the usual order).
    ``queue_default`` is the ``queue`` column's server default (``backtest_results`` has
    one: "backtests")."""
    if names:
        chosen = [_BY_NAME[name] for name in names]
    else:
        chosen = [column for column in WORK_ITEM_COLUMNS if column.name not in without]
    return [column_of(column, queue_default) for column in chosen]


def column_of(column: WorkItemColumn, queue_default: str | None = None) -> sa.Column[Any]:
    """A fresh ``sa.Column`` for one description (``queue_default`` as for ``columns``)."""
    return sa.Column(
        column.name,
        column.type,
        nullable=column.nullable,
        **_server_default(column, queue_default),
    )


def current_columns(queue_default: str | None = None) -> list[sa.Column[Any]]:
    """Every work-item column a table created today has: the eight in their usual order,
    then each of ``ADDED_COLUMNS`` (a new kind's migration spreads these)."""
    return columns(queue_default=queue_default) + [column_of(c) for c in ADDED_COLUMNS]


def kind_table_columns(id_field: str, message_column: str = "payload_json") -> list[sa.Column[Any]]:
    """Fresh columns (one call per table) of a new kind's work-item table keyed by
    ``id_field`` (a UUID's 36 characters) with its message in ``message_column``: the id, the
    message, ``current_columns()`` and the ownership columns the web's tenancy rule reads
    (``created_by``, ``shared``; ``web.ownership``). A kind's migration creates its table with
    them plus its own result columns::

        op.create_table("reports", *kind_table_columns("report_id"), sa.Column("pages", ...))
    """
    return [
        sa.Column(id_field, sa.String(length=36), primary_key=True),
        sa.Column(message_column, LONG_TEXT, nullable=False),
        *current_columns(),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
    ]


def mapped_columns(queue_default: str | None = None) -> dict[str, MappedColumn[Any]]:
    """The same columns for a declarative mixin, by name (``store.models.WorkItemColumns``);
    ``queue_default`` as for ``columns``."""
    return {
        column.name: mapped_column(
            column.type,
            nullable=column.nullable,
            **_server_default(column, queue_default),
            **({} if column.model_default is None else {"default": column.model_default}),
        )
        for column in WORK_ITEM_COLUMNS + ADDED_COLUMNS
    }


__all__ = [
    "ADDED_COLUMNS",
    "HEARTBEAT_AT",
    "WORK_ITEM_COLUMNS",
    "UtcDateTime",
    "WorkItemColumn",
    "column_of",
    "columns",
    "current_columns",
    "kind_table_columns",
    "mapped_columns",
]
