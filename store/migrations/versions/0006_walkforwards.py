"""Walk-forward optimisation: ``walkforwards`` (one row per walk-forward, with its stored
outcome once every fold SUCCEEDED) and
``walkforward_folds`` (one per fold, cascading with its walk-forward; each fold's training
sweep is an ordinary ``sweeps`` row named by ``sweep_id``).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from store import work_item_columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "walkforwards",
        sa.Column("walkforward_id", sa.String(length=36), nullable=False),
        sa.Column("ticker", sa.String(length=32), nullable=False),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("request_json", LONG_TEXT, nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("combos_per_fold", sa.Integer(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=16), nullable=False),
        sa.Column("image_tag", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("oos_json", LONG_TEXT, nullable=True),
        sa.Column("oos_return_pct", sa.Double(), nullable=True),
        sa.Column("wfe", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("walkforward_id"),
    )
    op.create_index("ix_walkforwards_created", "walkforwards", ["created_at"])
    op.create_table(
        "walkforward_folds",
        sa.Column("fold_id", sa.String(length=48), nullable=False),
        sa.Column("walkforward_id", sa.String(length=36), nullable=False),
        sa.Column("fold_no", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.String(length=36), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("result_json", LONG_TEXT, nullable=True),
        *work_item_columns.columns(),
        sa.ForeignKeyConstraint(
            ["walkforward_id"],
            ["walkforwards.walkforward_id"],
            name="fk_folds_walkforward",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fold_id"),
    )
    op.create_index(
        "ix_folds_walkforward", "walkforward_folds", ["walkforward_id", "fold_no"], unique=True
    )
    op.create_index("ix_folds_queue_status", "walkforward_folds", ["queue", "status"])
    op.create_index("ix_folds_sweep", "walkforward_folds", ["sweep_id"])


def downgrade() -> None:
    op.drop_table("walkforward_folds")
    op.drop_table("walkforwards")
