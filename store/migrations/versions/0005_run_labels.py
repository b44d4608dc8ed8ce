"""Runs get labels and a pin: ``name``, ``tags`` (a JSON list as text), ``notes`` and
``pinned`` on ``backtest_results``.

Labels are metadata users set with a request and edit afterwards; ``pinned`` keeps a run
from the retention clean-up (``consumer.retention``). Existing runs get no labels and are
not pinned. No index: the tag filter and name search are substring matches, and the
clean-up selects by ``created_at`` (``ix_runs_created``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("name", "tags", "notes", "pinned")


def upgrade() -> None:
    with op.batch_alter_table("backtest_results") as batch:
        batch.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))
        batch.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("backtest_results") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
