"""The cube kind's migration: its table, the work-item columns every kind's table has and its
result. Written as a revision in store/migrations/versions/ is (``op`` is Alembic's)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.work_item_columns import kind_table_columns


def upgrade() -> None:
    op.create_table("cubes", *kind_table_columns("cube_id"), sa.Column("cube", sa.Integer()))


def downgrade() -> None:
    op.drop_table("cubes")
