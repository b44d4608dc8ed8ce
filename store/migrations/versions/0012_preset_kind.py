"""Presets of other kinds of work (docs/api.md "Presets"): ``kind`` on ``strategy_presets``.

* ``kind`` (NOT NULL, default ``run``): what the payload holds — a run form's values
  (``run``, every existing row) or a portfolio request (``portfolio``). Older readers ignore
  the column; older writers leave it at its default, as they only ever wrote run presets.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_presets") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="run")
        )


def downgrade() -> None:
    with op.batch_alter_table("strategy_presets") as batch:
        batch.drop_column("kind")
