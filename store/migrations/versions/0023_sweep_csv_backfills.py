"""The Jobs that write a compactly stored sweep's missing CSV parts: ``sweep_csv_backfills``.

* ``sweep_csv_backfills`` (backfill_id = ``<sweep_id>-csv<n>``, the n-th for the sweep) →
  sweep_id, payload_json and the work-item columns: one queued backfill
  (``kinds.sweeps.backfill_kind``), asked for by the first download of a compact sweep whose
  finished chunks lack their parts (docs/sweeps.md, "CSV"). Deleted with the sweep.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.work_item_columns import LONG_TEXT, current_columns

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep_csv_backfills",
        sa.Column("backfill_id", sa.String(48), primary_key=True),
        sa.Column("sweep_id", sa.String(36), nullable=False),
        sa.Column("payload_json", LONG_TEXT, nullable=False),
        *current_columns(),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.sweep_id"], name="fk_csv_backfills_sweep", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_csv_backfills_sweep", "sweep_csv_backfills", ["sweep_id"])


def downgrade() -> None:
    op.drop_index("ix_csv_backfills_sweep", table_name="sweep_csv_backfills")
    op.drop_table("sweep_csv_backfills")
