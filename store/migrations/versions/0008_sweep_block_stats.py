"""Overfitting statistics of sweeps: ``sweep_chunks.block_stats`` (each chunk's combinations'
block sums and sums of squares of bar returns, packed) and ``sweeps.overfitting_json`` (the
statistics, computed once when the sweep's last chunk finished).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LONG_BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("sweep_chunks") as batch:
        batch.add_column(sa.Column("block_stats", LONG_BLOB, nullable=True))
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("overfitting_json", LONG_TEXT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_column("overfitting_json")
    with op.batch_alter_table("sweep_chunks") as batch:
        batch.drop_column("block_stats")
