"""Sweep chunks and sweep results reference their sweep (ON DELETE CASCADE).

Rows whose sweep no longer exists can be neither read nor resumed (every read starts from
the sweep), so they are deleted before the constraints are added; the count is logged.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

CHILDREN = (("sweep_chunks", "fk_chunks_sweep"), ("sweep_results", "fk_results_sweep"))


def upgrade() -> None:
    for table, constraint in CHILDREN:
        orphans = op.get_bind().execute(
            sa.text(
                f"DELETE FROM {table} WHERE NOT EXISTS "
                f"(SELECT 1 FROM sweeps WHERE sweeps.sweep_id = {table}.sweep_id)"
            )
        )
        if orphans.rowcount:
            logger.warning(
                "deleted %d %s rows of sweeps that no longer exist", orphans.rowcount, table
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(
                constraint, "sweeps", ["sweep_id"], ["sweep_id"], ondelete="CASCADE"
            )


def downgrade() -> None:
    for table, constraint in reversed(CHILDREN):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(constraint, type_="foreignkey")
