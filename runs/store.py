"""Run rows for the web and the reaper: INSERT PENDING, the reads of history and run pages,
and the guarded, forward-only status transitions (defined once in ``runs.state``, in plain
SQL a Job can run without SQLAlchemy, and re-exported here).

Functions take a session and never commit: the caller owns the transaction
(``with session.begin():``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from runs.contract import RunRequest
from runs.state import mark_failed, mark_running, mark_succeeded  # noqa: F401  (re-exported)
from store.models import BacktestRun, utcnow
from work.connection import DEFAULT_QUEUE
from work.status import RunStatus


def insert_pending(
    session: Session, request: RunRequest, image_tag: str | None, *, queue: str = DEFAULT_QUEUE
) -> BacktestRun:
    """Add a new run as PENDING (before it is enqueued on ``queue``), in the caller's
    transaction."""
    row = BacktestRun(
        queue=queue,
        run_id=request.run_id,
        ticker=request.ticker,
        rule_type=request.rule_type,
        rule_id=request.rule_id,
        params_json=json.dumps(request.params, sort_keys=True),
        request_json=json.dumps(request.to_dict()),
        status=RunStatus.PENDING,
        image_tag=image_tag,
        attempts=0,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def get_run(session: Session, run_id: str) -> BacktestRun | None:
    """The run, or None."""
    return session.get(BacktestRun, run_id)


SUMMARY_COLUMNS = (
    BacktestRun.run_id,
    BacktestRun.ticker,
    BacktestRun.rule_type,
    BacktestRun.rule_id,
    BacktestRun.params_json,
    BacktestRun.status,
    BacktestRun.error_message,
    BacktestRun.metrics_json,
    BacktestRun.attempts,
    BacktestRun.created_at,
    BacktestRun.started_at,
    BacktestRun.completed_at,
)
"""What history pages load: never the (large) result or request JSON."""


@dataclass(frozen=True)
class RunFilter:
    """History filters; None means any."""

    status: str | None = None
    ticker: str | None = None
    rule_type: str | None = None

    def apply(self, statement):
        if self.status:
            statement = statement.where(BacktestRun.status == self.status)
        if self.ticker:
            statement = statement.where(BacktestRun.ticker == self.ticker)
        if self.rule_type:
            statement = statement.where(BacktestRun.rule_type == self.rule_type)
        return statement


def list_runs(
    session: Session, filters: RunFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[BacktestRun], int]:
    """One page of runs, newest first, and the total matching count (index-backed)."""
    rows = session.scalars(
        filters.apply(select(BacktestRun).options(load_only(*SUMMARY_COLUMNS)))
        .order_by(BacktestRun.created_at.desc(), BacktestRun.run_id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    total = session.scalar(filters.apply(select(func.count()).select_from(BacktestRun)))
    return list(rows), int(total or 0)


def runs_in_status(
    session: Session, status: str, *, queue: str, older_than: datetime, limit: int = 500
) -> list[BacktestRun]:
    """Runs of ``queue`` in ``status`` created (PENDING) or started (RUNNING) before
    ``older_than``."""
    column = BacktestRun.started_at if status == RunStatus.RUNNING else BacktestRun.created_at
    return list(
        session.scalars(
            select(BacktestRun)
            .options(load_only(*SUMMARY_COLUMNS, BacktestRun.request_json, BacktestRun.queue))
            .where(BacktestRun.queue == queue, BacktestRun.status == status, column < older_than)
            .order_by(column)
            .limit(limit)
        ).all()
    )


HEADER_COLUMNS = (
    *SUMMARY_COLUMNS,
    BacktestRun.request_json,
    BacktestRun.data_hash,
    BacktestRun.engine_version,
    BacktestRun.image_tag,
    BacktestRun.worker,
)
"""What the run page needs: everything but ``result_json``."""


def get_run_header(session: Session, run_id: str) -> BacktestRun | None:
    """The run with every column except ``result_json``, or None."""
    statement = (
        select(BacktestRun).options(load_only(*HEADER_COLUMNS)).where(BacktestRun.run_id == run_id)
    )
    return session.scalars(statement).first()


def get_run_summaries(session: Session, run_ids: Sequence[str]) -> list[BacktestRun]:
    """The runs among ``run_ids`` that exist (history columns only), in the order given."""
    if not run_ids:
        return []
    statement = (
        select(BacktestRun)
        .options(load_only(*SUMMARY_COLUMNS, BacktestRun.request_json))
        .where(BacktestRun.run_id.in_(list(run_ids)))
    )
    rows = {row.run_id: row for row in session.scalars(statement)}
    return [rows[run_id] for run_id in run_ids if run_id in rows]


@dataclass(frozen=True)
class RunVersion:
    """What changes whenever a run's status document changes (its ETag's inputs)."""

    status: str
    attempts: int
    started_at: datetime | None
    completed_at: datetime | None


def get_run_version(session: Session, run_id: str) -> RunVersion | None:
    """The run's ``RunVersion`` from one narrow SELECT (no JSON column), or None."""
    row = session.execute(
        select(
            BacktestRun.status,
            BacktestRun.attempts,
            BacktestRun.started_at,
            BacktestRun.completed_at,
        ).where(BacktestRun.run_id == run_id)
    ).first()
    return None if row is None else RunVersion(*row)


def get_result_text(session: Session, run_id: str) -> tuple[str, str | None] | None:
    """(status, stored result JSON text or None) of a run, or None when there is no such run."""
    row = session.execute(
        select(BacktestRun.status, BacktestRun.result_json).where(BacktestRun.run_id == run_id)
    ).first()
    return None if row is None else (row.status, row.result_json)
