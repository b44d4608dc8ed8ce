"""The columns of a kind's work-item table, for its migration: the work-item protocol's
(``work.transitions``, ``work.kind.WorkKind.stuck``), its id and stored message, and the
ownership columns the web's tenancy rule reads (``web.ownership``). A kind's migration
creates its table with them plus its own result columns::

    op.create_table("reports", *work_item_columns("report_id"), sa.Column("pages", sa.Integer()))

The types are the ones every kind's table has always had (``store.models``): MySQL DATETIME
with microseconds, LONGTEXT for the message."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def work_item_columns(id_field: str, message_column: str = "payload_json") -> list[sa.Column]:
    """Fresh columns (one call per table) of a work-item table keyed by ``id_field`` (a
    UUID's 36 characters) with its message in ``message_column``: ``queue``, ``status``,
    ``error_message``, ``attempts``, ``worker``, the three timestamps, ``created_by`` and
    ``shared``."""
    return [
        sa.Column(id_field, sa.String(length=36), primary_key=True),
        sa.Column(message_column, LONG_TEXT, nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
    ]
