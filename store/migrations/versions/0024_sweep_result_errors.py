"""A combination that failed alone: ``error`` on ``sweep_results``.

* ``error`` (NULL for every existing row and every combination that ran): why one
  combination of a PYTHON sweep failed while its chunk's others ran (its strategy raised,
  or its book refused a decision), in the words its run alone FAILS with; its metrics are
  NULL (docs/sweeps.md, "Python strategies").

Older readers ignore the column.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweep_results") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sweep_results") as batch:
        batch.drop_column("error")
