"""A study batch's reservation while it samples (docs/studies.md, "Concurrent batches"):
``asking`` on ``study_batches``.

* ``asking`` (NULL for every existing batch, and once a batch stored its trials): how many
  trials a RUNNING batch has reserved and is sampling outside the study's lock. Other
  batches count it toward the budget and seed their sampler past it
  (``kinds.studies.state``).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("study_batches") as batch:
        batch.add_column(sa.Column("asking", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("study_batches") as batch:
        batch.drop_column("asking")
