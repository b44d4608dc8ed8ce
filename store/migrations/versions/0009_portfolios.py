"""Portfolio backtests: ``portfolios``, one row per portfolio (a work item of its own kind,
``kinds.portfolios``), with its request, its result and the figures the list shows.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from store import work_item_columns

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("portfolio_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("tickers", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("payload_json", LONG_TEXT, nullable=False),
        *work_item_columns.columns("queue"),
        sa.Column("result_json", LONG_TEXT, nullable=True),
        sa.Column("data_hash", sa.String(length=64), nullable=True),
        sa.Column("engine_version", sa.String(length=16), nullable=True),
        sa.Column("total_return_pct", sa.Double(), nullable=True),
        sa.Column("sharpe_ratio", sa.Double(), nullable=True),
        sa.Column("max_drawdown_pct", sa.Double(), nullable=True),
        sa.Column("image_tag", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
        *work_item_columns.columns(without=("queue",)),
        sa.PrimaryKeyConstraint("portfolio_id"),
    )
    op.create_index("ix_portfolios_created", "portfolios", ["created_at"])
    op.create_index("ix_portfolios_queue_status", "portfolios", ["queue", "status"])


def downgrade() -> None:
    op.drop_table("portfolios")
