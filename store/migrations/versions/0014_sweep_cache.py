"""The sweep result cache (docs/execution.md "The result cache"): ``cache_key`` and
``cached_from`` on ``sweeps``.

* ``cache_key`` (NULL for every existing sweep, for walk-forward folds' sweeps and for
  cached copies): the SHA-256 of the sweep's canonical request, its files' hashes, engine
  and result schema versions (``kinds.sweeps.cache``), set at submission; indexed, for the
  lookup. A sweep with a key is a source once all its chunks SUCCEEDED.
* ``cached_from`` (NULL: its chunks ran): the sweep a cached sweep copied its chunks and
  results from.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.add_column(sa.Column("cache_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cached_from", sa.String(length=36), nullable=True))
        batch.create_index("ix_sweeps_cache_key", ["cache_key"])


def downgrade() -> None:
    with op.batch_alter_table("sweeps") as batch:
        batch.drop_index("ix_sweeps_cache_key")
        batch.drop_column("cached_from")
        batch.drop_column("cache_key")
