"""Baseline: the schema ``python -m web init-db`` created before migrations existed.

Frozen: it spells out every column instead of importing the models, so it creates the same
tables whatever the models become; the work-item columns come from their frozen description
(``store.work_item_columns``: the columns as these tables were created with them). A
database made by that init-db has these tables and no ``alembic_version``;
``store.migrate.upgrade`` stamps it at this revision before upgrading.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from store import work_item_columns

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backtest_results",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("ticker", sa.String(length=32), nullable=False),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("request_json", sa.Text(), nullable=False),
        *work_item_columns.columns("status", "queue", "error_message", queue_default="backtests"),
        sa.Column("metrics_json", sa.Text(), nullable=True),
        sa.Column(
            "result_json",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=True,
        ),
        sa.Column("data_hash", sa.String(length=64), nullable=True),
        sa.Column("engine_version", sa.String(length=16), nullable=True),
        sa.Column("image_tag", sa.String(length=64), nullable=True),
        *work_item_columns.columns(
            "attempts", "worker", "created_at", "started_at", "completed_at"
        ),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.create_index("ix_runs_created", ["created_at"], unique=False)
        batch_op.create_index("ix_runs_queue_status", ["queue", "status"], unique=False)
        batch_op.create_index("ix_runs_rule_created", ["rule_type", "created_at"], unique=False)
        batch_op.create_index("ix_runs_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_runs_ticker_created", ["ticker", "created_at"], unique=False)

    op.create_table(
        "strategy_presets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime()
            .with_variant(mysql.DATETIME(fsp=6), "mariadb")
            .with_variant(mysql.DATETIME(fsp=6), "mysql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sweep_chunks",
        sa.Column("chunk_id", sa.String(length=48), nullable=False),
        sa.Column("sweep_id", sa.String(length=36), nullable=False),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column("ticker", sa.String(length=32), nullable=False),
        sa.Column("combo_first", sa.Integer(), nullable=False),
        sa.Column("combo_count", sa.Integer(), nullable=False),
        sa.Column(
            "payload_json",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=False,
        ),
        *work_item_columns.columns("status", "queue", "error_message", "attempts", "worker"),
        sa.Column("startup_ms", sa.Double(), nullable=True),
        sa.Column("compute_ms", sa.Double(), nullable=True),
        sa.Column("write_ms", sa.Double(), nullable=True),
        *work_item_columns.columns("created_at", "started_at", "completed_at"),
        sa.PrimaryKeyConstraint("chunk_id"),
    )
    with op.batch_alter_table("sweep_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_chunks_queue_status", ["queue", "status"], unique=False)
        batch_op.create_index("ix_chunks_sweep", ["sweep_id", "chunk_no"], unique=True)

    op.create_table(
        "sweep_results",
        sa.Column("sweep_id", sa.String(length=36), nullable=False),
        sa.Column("combo_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chunk_no", sa.Integer(), nullable=False),
        sa.Column("ticker", sa.String(length=32), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("total_return_pct", sa.Double(), nullable=True),
        sa.Column("sharpe_ratio", sa.Double(), nullable=True),
        sa.Column("max_drawdown_pct", sa.Double(), nullable=True),
        sa.Column("num_trades", sa.Integer(), nullable=True),
        sa.Column("cagr_pct", sa.Double(), nullable=True),
        sa.Column("volatility_pct", sa.Double(), nullable=True),
        sa.Column("sortino_ratio", sa.Double(), nullable=True),
        sa.Column("calmar_ratio", sa.Double(), nullable=True),
        sa.Column("max_drawdown_duration_days", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("sweep_id", "combo_no"),
    )
    op.create_table(
        "sweeps",
        sa.Column("sweep_id", sa.String(length=36), nullable=False),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("tickers", sa.String(length=512), nullable=False),
        sa.Column(
            "request_json",
            sa.Text()
            .with_variant(mysql.LONGTEXT(), "mariadb")
            .with_variant(mysql.LONGTEXT(), "mysql"),
            nullable=False,
        ),
        sa.Column("combos", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("image_tag", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime()
            .with_variant(mysql.DATETIME(fsp=6), "mariadb")
            .with_variant(mysql.DATETIME(fsp=6), "mysql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("sweep_id"),
    )
    with op.batch_alter_table("sweeps", schema=None) as batch_op:
        batch_op.create_index("ix_sweeps_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sweeps", schema=None) as batch_op:
        batch_op.drop_index("ix_sweeps_created")

    op.drop_table("sweeps")
    op.drop_table("sweep_results")
    with op.batch_alter_table("sweep_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_chunks_sweep")
        batch_op.drop_index("ix_chunks_queue_status")

    op.drop_table("sweep_chunks")
    op.drop_table("strategy_presets")
    with op.batch_alter_table("backtest_results", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_ticker_created")
        batch_op.drop_index("ix_runs_status_created")
        batch_op.drop_index("ix_runs_rule_created")
        batch_op.drop_index("ix_runs_queue_status")
        batch_op.drop_index("ix_runs_created")

    op.drop_table("backtest_results")
