"""The result cache (docs/execution.md "The result cache"): ``cache_key`` and ``cached_from``
on ``backtest_results``.

* ``cache_key`` (NULL for every existing row, and for runs not SUCCEEDED): the SHA-256 of
  the run's canonical request, data hash, engine version and result schema version
  (``kinds.runs.cache``), set with the result; indexed, for the submission's lookup.
* ``cached_from`` (NULL: a Job computed the result): the run a cached run copied its
  result from.

Existing runs are never served from the cache (no key): the first identical run after the
upgrade runs a Job and becomes the source of later ones. Older readers ignore the columns.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("backtest_results") as batch:
        batch.add_column(sa.Column("cache_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cached_from", sa.String(length=36), nullable=True))
        batch.create_index("ix_runs_cache_key", ["cache_key"])


def downgrade() -> None:
    with op.batch_alter_table("backtest_results") as batch:
        batch.drop_index("ix_runs_cache_key")
        batch.drop_column("cached_from")
        batch.drop_column("cache_key")
