"""Sweep metrics that grow with the registry: ``extra_metrics`` on ``sweep_results``.

* ``extra_metrics`` (NULL for every existing row, and for rows of a sweep while the registry
  has no metric beyond the built-in columns): a JSON object of the combination's metrics that
  have no column (``metrics.MetricDef.function`` rows), keyed by registry key. A metric added
  to the registry from now on lands here, so it needs no migration; the built-in metrics keep
  their columns.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweep_results") as batch:
        batch.add_column(sa.Column("extra_metrics", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sweep_results") as batch:
        batch.drop_column("extra_metrics")
