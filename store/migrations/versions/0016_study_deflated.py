"""A study's deflated Sharpe ratio of its best trial (docs/studies.md, "Is the best trial
luck?"): ``deflated_json`` on ``studies``.

* ``deflated_json`` (NULL for every existing study, and until a batch computed it): the DSR
  of the best trial, its inputs and verdict, or why there is none (``{"unavailable"}``),
  recomputed by a batch when the best trial or the count of COMPLETE trials changed
  (``kinds.studies.deflated``).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.add_column(sa.Column("deflated_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.drop_column("deflated_json")
