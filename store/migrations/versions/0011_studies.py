"""Optimisation studies (issue 28, docs/studies.md): ``studies`` (one row per study),
``study_batches`` (one per queued batch of trials, the work item) and ``study_trials`` (one
per trial, keyed by (study_id, number)); both cascade with their study. New tables only:
every existing row and reader is untouched.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from store import work_item_columns

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("ticker", sa.String(length=32), nullable=False),
        sa.Column("rule_type", sa.String(length=32), nullable=False),
        sa.Column("sampler", sa.String(length=16), nullable=False),
        sa.Column("request_json", LONG_TEXT, nullable=False),
        sa.Column("n_trials", sa.Integer(), nullable=False),
        sa.Column("parallelism", sa.Integer(), nullable=False),
        sa.Column("deadline_at", TIMESTAMP, nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("engine_version", sa.String(length=16), nullable=False),
        sa.Column("image_tag", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.Column("importances_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("study_id"),
    )
    op.create_index("ix_studies_created", "studies", ["created_at"])
    op.create_table(
        "study_batches",
        sa.Column("batch_id", sa.String(length=48), nullable=False),
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        *work_item_columns.columns("queue"),
        *work_item_columns.columns(without=("queue",)),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.study_id"], name="fk_batches_study", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_index("ix_batches_study", "study_batches", ["study_id", "batch_no"], unique=True)
    op.create_index("ix_batches_queue_status", "study_batches", ["queue", "status"])
    op.create_table(
        "study_trials",
        sa.Column("study_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.String(length=48), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("values_json", sa.Text(), nullable=True),
        sa.Column("metrics_json", sa.Text(), nullable=True),
        sa.Column("system_attrs_json", LONG_TEXT, nullable=True),
        sa.Column("retried_as", sa.Integer(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.study_id"], name="fk_trials_study", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("study_id", "number"),
    )
    op.create_index("ix_trials_batch", "study_trials", ["batch_id"])


def downgrade() -> None:
    op.drop_table("study_trials")
    op.drop_table("study_batches")
    op.drop_table("studies")
