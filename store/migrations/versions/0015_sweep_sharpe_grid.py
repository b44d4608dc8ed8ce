"""Overfitting statistics read per chunk: ``sweep_chunks.sharpe_grid``, each chunk's
combinations' Sharpe ratios and positions on the sweep's grid, in combo order (packed by
``kinds.sweeps.evaluate.pack_sharpe_grid``; docs/sweeps.md, "How it stays cheap"), stored
beside ``block_stats`` so the statistics read one blob per chunk instead of one result row
(and its params JSON) per combination.

NULL for every existing chunk: the statistics of those sweeps keep reading their result
rows (``kinds.sweeps.overfitting``).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LONG_BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("sweep_chunks") as batch:
        batch.add_column(sa.Column("sharpe_grid", LONG_BLOB, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sweep_chunks") as batch:
        batch.drop_column("sharpe_grid")
