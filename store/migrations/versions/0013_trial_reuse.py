"""Reused trials (docs/studies.md "Reused trials"): ``eval_key`` and ``reused_from`` on
``study_trials``.

* ``eval_key`` (NULL for every existing trial, and for trials a constraint pruned): the
  SHA-256 of the trial's run request, data hash, engine and result schema versions
  (``kinds.studies.reuse``), set when the trial is stored; indexed, for a batch's lookup.
* ``reused_from`` (NULL: the batch evaluated it): ``<study_id>#<number>`` of the trial whose
  metrics it copied.

Existing trials are never reused (no key). Older readers ignore the columns.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("study_trials") as batch:
        batch.add_column(sa.Column("eval_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reused_from", sa.String(length=48), nullable=True))
        batch.create_index("ix_trials_eval_key", ["eval_key"])


def downgrade() -> None:
    with op.batch_alter_table("study_trials") as batch:
        batch.drop_index("ix_trials_eval_key")
        batch.drop_column("reused_from")
        batch.drop_column("eval_key")
