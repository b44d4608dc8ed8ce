"""Large sweeps stored compactly: ``sweeps.top_k``.

* ``sweeps.top_k``: for a sweep of more than ``SWEEP_COMPACT_ABOVE`` combinations, the K
  best combinations by each metric each chunk stored as result rows (the rest of every
  combination lives in its chunk's ``sharpe_grid`` and, for a subset, ``block_stats``:
  ``kinds.sweeps.compact``). NULL: one result row per combination, as every sweep stored
  before it.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("top_k", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_column("top_k")
