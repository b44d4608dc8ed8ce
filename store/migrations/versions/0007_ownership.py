"""Ownership (AUTH_MODE=token; docs/security.md "Tenancy"): token scopes, explicit read-only
sharing, and preset names unique per owner.

* ``api_tokens.scope``: "user" (every existing token) or "admin" (sees and manages every
  row);
* ``shared`` (false for every existing row) on ``backtest_results``, ``sweeps``,
  ``walkforwards`` and ``strategy_presets``: the owner shared the row read-only;
* ``strategy_presets.owner_key`` (``created_by``, or "" for rows without one) and a unique
  index on (owner_key, name) in place of the unique name: another user's preset no longer
  makes a name taken, so a 409 cannot tell that it exists. Every existing name was unique,
  so it still is within its owner's names.

Adding columns with server defaults keeps every row and every older reader (which ignores
them; an older writer's presets get owner_key "", the namespace of AUTH_MODE=none).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SHARED_TABLES = ("backtest_results", "sweeps", "walkforwards", "strategy_presets")

OLD_UNIQUE_SQLITE = "uq_strategy_presets_name"
"""The name the batch naming convention gives SQLite's unnamed UNIQUE (name)."""

OLD_UNIQUE_MYSQL = "name"
"""MySQL names an unnamed UNIQUE (name) after its column."""

NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _on_mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite takes one with a constant default): a batch would recreate
    # the table, and dropping the old sweeps table would cascade to its chunks and results.
    op.add_column(
        "api_tokens",
        sa.Column("scope", sa.String(length=16), nullable=False, server_default="user"),
    )
    for table in SHARED_TABLES:
        op.add_column(
            table, sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.add_column(
        "strategy_presets",
        sa.Column("owner_key", sa.String(length=100), nullable=False, server_default=""),
    )
    op.execute("UPDATE strategy_presets SET owner_key = COALESCE(created_by, '')")
    with op.batch_alter_table("strategy_presets", naming_convention=NAMING) as batch:
        old = OLD_UNIQUE_MYSQL if _on_mysql() else OLD_UNIQUE_SQLITE
        batch.drop_constraint(old, type_="unique")
        batch.create_index("ix_presets_owner_name", ["owner_key", "name"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("strategy_presets", naming_convention=NAMING) as batch:
        batch.drop_index("ix_presets_owner_name")
        batch.create_unique_constraint(OLD_UNIQUE_SQLITE, ["name"])
        batch.drop_column("owner_key")
    for table in reversed(SHARED_TABLES):
        op.drop_column(table, "shared")  # no batch: see upgrade
    op.drop_column("api_tokens", "scope")
