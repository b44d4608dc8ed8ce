"""API tokens (AUTH_MODE=token) and who created each run, sweep and preset.

``api_tokens`` holds each token's unique name and the SHA-256 digest of its secret (never
the secret); ``created_by`` (the token's name, nullable: NULL in AUTH_MODE=none and for
every row older than this revision) is added to ``backtest_results``, ``sweeps`` and
``strategy_presets``. Adding nullable columns keeps every row and every older reader.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CREATED_BY_TABLES = ("backtest_results", "sweeps", "strategy_presets")

UtcDateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    for table in CREATED_BY_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("created_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    for table in CREATED_BY_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("created_by")
    op.drop_table("api_tokens")
