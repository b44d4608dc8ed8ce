"""Preset names are unique as exact text: a binary collation on MySQL/MariaDB.

Under the server's default collation (MariaDB's utf8mb4_general_ci) "DUP" and "dup",
"résumé" and "resume", and every pair of emoji compared equal, so a new preset could be
refused as a duplicate of an unrelated one. ``utf8mb4_bin`` compares code points, as SQLite's
default BINARY collation does; the web stores names NFC-normalised, so the same text typed
two ways (é composed, or e + combining accent) is still one name. Existing names stay
unique: the binary comparison only tells apart what the old one called equal.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _on_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    if _on_mysql():
        op.alter_column(
            "strategy_presets",
            "name",
            existing_type=sa.String(length=100),
            type_=mysql.VARCHAR(length=100, charset="utf8mb4", collation="utf8mb4_bin"),
            existing_nullable=False,
        )


def downgrade() -> None:
    if _on_mysql():
        op.alter_column(
            "strategy_presets",
            "name",
            existing_type=mysql.VARCHAR(length=100, charset="utf8mb4", collation="utf8mb4_bin"),
            type_=sa.String(length=100),
            existing_nullable=False,
        )
