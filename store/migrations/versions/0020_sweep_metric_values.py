"""Sorting and filtering by a registered metric at a column's speed: ``sweep_metric_values``.

* ``sweep_metric_values`` (sweep_id, metric, combo_no) → value, negated (``-value``): one
  row per combination and metric without a ``sweep_results`` column (the ones in
  ``extra_metrics``), undefined values left out. ``ix_sweep_metric_values_value``
  (sweep_id, metric, value, combo_no) and ``ix_sweep_metric_values_negated`` (the same on
  ``negated``, for descending order with ties in combo order) let a results page
  sorted or filtered by such a metric read its index instead of every row's JSON. A chunk
  writes them with its rows; a new metric is new rows, no migration.
* The rows stored before it are copied from their ``extra_metrics`` here, so a sweep stored
  earlier sorts and filters as before.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BATCH = 5000
"""Result rows read per step of the copy (keyset pages on the primary key)."""


def upgrade() -> None:
    op.create_table(
        "sweep_metric_values",
        sa.Column("sweep_id", sa.String(36), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("combo_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("negated", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.sweep_id"], name="fk_metric_values_sweep", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sweep_id", "metric", "combo_no"),
    )
    for key in ("value", "negated"):
        op.create_index(
            f"ix_sweep_metric_values_{key}",
            "sweep_metric_values",
            ["sweep_id", "metric", key, "combo_no"],
        )
    _copy_extra_metrics(op.get_bind())


def _copy_extra_metrics(connection: sa.Connection) -> None:
    """One ``sweep_metric_values`` row per value in the stored rows' ``extra_metrics``."""
    results = sa.table(
        "sweep_results",
        sa.column("sweep_id"),
        sa.column("combo_no"),
        sa.column("extra_metrics"),
    )
    values = sa.table(
        "sweep_metric_values",
        sa.column("sweep_id"),
        sa.column("metric"),
        sa.column("combo_no"),
        sa.column("value"),
        sa.column("negated"),
    )
    after: tuple[str, int] = ("", -1)
    while True:
        rows = connection.execute(
            sa.select(results.c.sweep_id, results.c.combo_no, results.c.extra_metrics)
            .where(
                results.c.extra_metrics.is_not(None),
                sa.tuple_(results.c.sweep_id, results.c.combo_no) > sa.tuple_(*after),
            )
            .order_by(results.c.sweep_id, results.c.combo_no)
            .limit(BATCH)
        ).all()
        copied = [
            {
                "sweep_id": sweep_id,
                "metric": key,
                "combo_no": combo_no,
                "value": value,
                "negated": -value,
            }
            for sweep_id, combo_no, extra in rows
            for key, value in json.loads(extra).items()
        ]
        if copied:
            connection.execute(sa.insert(values), copied)
        if len(rows) < BATCH:
            return
        after = (rows[-1][0], rows[-1][1])


def downgrade() -> None:
    op.drop_table("sweep_metric_values")
