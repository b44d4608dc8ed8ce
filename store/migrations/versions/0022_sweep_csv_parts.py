"""A sweep's CSV as stored bytes: ``sweep_csv_parts``.

* ``sweep_csv_parts`` (sweep_id, chunk_no) → header_sha, size, crc, data: one finished chunk's
  rows as ``results.csv`` lines, compressed (``kinds.sweeps.export``), written by the chunk's
  Job with its results; the web serves the CSV from them. Deleted with the sweep.
* Chunks stored before it have no part: a sweep stored row by row gets its parts written
  from its rows at its first download; a sweep stored compactly by
  ``python -m kinds.sweeps.csv_backfill`` (docs/sweeps.md, "CSV").

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_csv_parts",
        sa.Column("sweep_id", sa.String(36), nullable=False),
        sa.Column("chunk_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("header_sha", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("crc", sa.BigInteger(), nullable=False),
        sa.Column(
            "data",
            sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.sweep_id"], name="fk_csv_parts_sweep", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sweep_id", "chunk_no"),
    )


def downgrade() -> None:
    op.drop_table("sweep_csv_parts")
