"""The database heartbeat of a running work item: ``heartbeat_at`` on every kind's work-item
table (``backtest_results``, ``sweep_chunks``, ``walkforward_folds``, ``portfolios``,
``study_batches``).

* ``heartbeat_at`` (NULL until the consumer running the item first beats, and for every
  existing row): when the consumer's parent process last confirmed, every
  RQ_JOB_MONITORING_INTERVAL, that it is still computing the item
  (``work.transitions.beat_item``). The reaper never requeues or fails a RUNNING item whose
  heartbeat is fresh, whatever Redis lost (docs/queue.md, "Liveness").

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

from store.work_item_columns import HEARTBEAT_AT, column_of

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

WORK_ITEM_TABLES = (
    "backtest_results",
    "sweep_chunks",
    "walkforward_folds",
    "portfolios",
    "study_batches",
)


def upgrade() -> None:
    for table in WORK_ITEM_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(column_of(HEARTBEAT_AT))


def downgrade() -> None:
    for table in WORK_ITEM_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("heartbeat_at")
