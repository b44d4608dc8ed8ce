"""Run rows for the web and the reaper: INSERT PENDING, the reads of history and run pages,
and the guarded, forward-only status transitions (defined once in ``kinds.runs.state``, in plain
SQL a Job can run without SQLAlchemy, and re-exported here).

Functions take a session and never commit: the caller owns the transaction
(``with session.begin():``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, load_only

from kinds.runs.contract import RunLabels, RunRequest
from kinds.runs.state import (  # noqa: F401  (re-exported)
    mark_cancelled,
    mark_failed,
    mark_running,
    mark_succeeded,
)
from store.models import BacktestRun, utcnow
from work.connection import DEFAULT_QUEUE
from work.status import FINISHED, RunStatus
from work.transitions import new_item


def insert_pending(
    session: Session,
    request: RunRequest,
    image_tag: str | None,
    *,
    queue: str = DEFAULT_QUEUE,
    created_by: str | None = None,
    labels: RunLabels | None = None,
) -> BacktestRun:
    """Add a new run as PENDING (before it is enqueued on ``queue``), with its labels, in
    the caller's transaction; ``created_by`` is the submitting token's name (None without
    auth)."""
    labels = labels or RunLabels()
    row = BacktestRun(
        **new_item(queue),
        run_id=request.run_id,
        ticker=request.ticker,
        rule_type=request.rule_type,
        rule_id=request.rule_id,
        params_json=json.dumps(request.params, sort_keys=True),
        request_json=json.dumps(request.to_dict()),
        image_tag=image_tag,
        created_by=created_by,
        name=labels.name,
        tags=json.dumps(list(labels.tags)),
        notes=labels.notes,
        pinned=False,
    )
    session.add(row)
    return row


def find_cache_source(
    session: Session, key: str, visible: ColumnElement[bool] | None = None
) -> str | None:
    """The id of a SUCCEEDED run whose result has cache key ``key`` and which ``visible``
    lets the submitter read (``web.ownership.visible``), the oldest, or None: one indexed
    lookup (``ix_runs_cache_key``) among the few runs Jobs computed for this key (a cached
    copy stores no key, so hits never lengthen it)."""
    return session.scalar(
        select(BacktestRun.run_id)
        .where(
            BacktestRun.cache_key == key,
            BacktestRun.status == RunStatus.SUCCEEDED,
            true() if visible is None else visible,
        )
        .order_by(BacktestRun.completed_at)
        .limit(1)
    )


CACHE_COPIED = (
    "ticker",
    "rule_type",
    "rule_id",
    "params_json",
    "metrics_json",
    "data_hash",
    "engine_version",
    "image_tag",
)
"""What a cached run takes from its source as it is: what the result depends on, and the
image that computed it. Not ``cache_key``: only runs a Job computed are sources."""


def insert_cached(
    session: Session,
    source_id: str,
    request: RunRequest,
    *,
    queue: str = DEFAULT_QUEUE,
    created_by: str | None = None,
    labels: RunLabels | None = None,
) -> bool:
    """Add a new run, SUCCEEDED at once, whose result is the source run's (``source_id``)
    with the source's id replaced by the new one in its bytes (``result.run_id`` and
    ``result.request.run_id``: the result a Job would have stored for the new run), in the
    caller's transaction: one INSERT … SELECT, so the result never leaves the database.
    Its request, owner and labels are its own; ``cached_from`` names the source. False when
    the source is no longer SUCCEEDED (deleted meanwhile): nothing was added."""
    labels = labels or RunLabels()
    now = utcnow()
    own = {
        "run_id": literal(request.run_id),
        "queue": literal(queue),
        "request_json": literal(json.dumps(request.to_dict())),
        "status": literal(RunStatus.SUCCEEDED.value),
        "attempts": literal(0),
        "created_by": literal(created_by, BacktestRun.created_by.type),
        "created_at": literal(now, BacktestRun.created_at.type),
        "started_at": literal(now, BacktestRun.started_at.type),
        "completed_at": literal(now, BacktestRun.completed_at.type),
        "name": literal(labels.name, BacktestRun.name.type),
        "tags": literal(json.dumps(list(labels.tags))),
        "notes": literal(labels.notes, BacktestRun.notes.type),
        "pinned": literal(False),
        "shared": literal(False),
        "cached_from": literal(source_id),
        "result_json": func.replace(BacktestRun.result_json, source_id, request.run_id),
    }
    columns = {**own, **{name: getattr(BacktestRun, name) for name in CACHE_COPIED}}
    source = select(*columns.values()).where(
        BacktestRun.run_id == source_id, BacktestRun.status == RunStatus.SUCCEEDED
    )
    result = session.execute(insert(BacktestRun).from_select(list(columns), source))
    return result.rowcount == 1


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
    BacktestRun.created_by,
    BacktestRun.request_json,
    BacktestRun.name,
    BacktestRun.tags,
    BacktestRun.notes,
    BacktestRun.pinned,
    BacktestRun.shared,
    BacktestRun.cached_from,
)
"""What history pages load: never the (large) result JSON. The request (a few hundred
bytes) gives the window, sizing and direction columns."""


@dataclass(frozen=True)
class RunFilter:
    """History filters; None means any. ``tag``: runs carrying that tag; ``name``: runs
    whose name contains the text (both compare case-insensitively on MySQL/MariaDB and, for
    ASCII, on SQLite)."""

    status: str | None = None
    ticker: str | None = None
    rule_type: str | None = None
    tag: str | None = None
    name: str | None = None

    def apply(self, statement):
        if self.status:
            statement = statement.where(BacktestRun.status == self.status)
        if self.ticker:
            statement = statement.where(BacktestRun.ticker == self.ticker)
        if self.rule_type:
            statement = statement.where(BacktestRun.rule_type == self.rule_type)
        if self.tag:  # tags are stored as a JSON list of strings that need no escaping
            statement = statement.where(BacktestRun.tags.contains(f'"{self.tag}"', autoescape=True))
        if self.name:
            statement = statement.where(BacktestRun.name.contains(self.name, autoescape=True))
        return statement


SORT_COLUMNS = {
    "created_at": BacktestRun.created_at,
    "completed_at": BacktestRun.completed_at,
    "ticker": BacktestRun.ticker,
    "rule_type": BacktestRun.rule_type,
    "status": BacktestRun.status,
    "name": BacktestRun.name,
}
"""History sort keys that are columns; any metric key (``metrics.all_metrics()``) sorts too."""


@dataclass(frozen=True)
class RunSort:
    """A history order: a ``SORT_COLUMNS`` key or a metric key, and its direction. Runs
    without a value (no metrics yet, a metric that is null) come last either way; ties are
    broken newest first."""

    key: str = "created_at"
    descending: bool = True

    def expression(self, session: Session) -> ColumnElement[Any]:
        if self.key in SORT_COLUMNS:
            return SORT_COLUMNS[self.key]
        return metric_value(session, self.key)

    def apply(self, session: Session, statement):
        value = self.expression(session)
        ordered = value.desc() if self.descending else value.asc()
        return statement.order_by(
            value.is_(None), ordered, BacktestRun.created_at.desc(), BacktestRun.run_id.desc()
        )


def metric_value(session: Session, key: str) -> ColumnElement[Any]:
    """One metric of ``metrics_json`` as a number (NULL when absent or null), read by the
    database: SQLite's ``json_extract`` returns the number; MySQL/MariaDB's ``JSON_VALUE``
    returns text, made a double by ``+ 0e0``. Not indexed: a metric sort scans the runs
    the filters match (see docs/dashboard.md). ``key`` is a registry key (``[a-z0-9_]``)."""
    path = f"$.{key}"
    if session.get_bind().dialect.name == "sqlite":
        return func.json_extract(BacktestRun.metrics_json, path)
    return func.json_value(BacktestRun.metrics_json, path) + literal_column("0e0")


def list_runs(
    session: Session,
    filters: RunFilter,
    *,
    page: int = 1,
    per_page: int = 50,
    sort: RunSort | None = None,
    visible: ColumnElement[bool] | None = None,
) -> tuple[list[BacktestRun], int]:
    """One page of runs in ``sort`` order (newest first by default) and the total matching
    count (index-backed); ``visible``: the rows the viewer may see (``web.ownership``)."""
    where = true() if visible is None else visible
    statement = filters.apply(select(BacktestRun).options(load_only(*SUMMARY_COLUMNS)))
    rows = session.scalars(
        (sort or RunSort())
        .apply(session, statement.where(where))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    total = session.scalar(
        filters.apply(select(func.count()).select_from(BacktestRun)).where(where)
    )
    return list(rows), int(total or 0)


def update_labels(session: Session, run_id: str, values: dict[str, Any]) -> bool:
    """Set some of a run's ``name``, ``tags``, ``notes``, ``pinned`` and ``shared`` (any
    status) in the caller's transaction; False if there is no such run."""
    columns = {**values}
    if "tags" in columns:
        columns["tags"] = json.dumps(list(columns["tags"]))
    if not columns:
        return session.get(BacktestRun, run_id) is not None
    result = session.execute(
        update(BacktestRun).where(BacktestRun.run_id == run_id).values(**columns)
    )
    return result.rowcount == 1


def delete_finished_run(session: Session, run_id: str) -> bool:
    """Delete a finished run (SUCCEEDED, FAILED, CANCELLED) and its stored result, in the
    caller's transaction; False if it is not finished (or not there)."""
    result = session.execute(
        delete(BacktestRun).where(
            BacktestRun.run_id == run_id, BacktestRun.status.in_(list(FINISHED))
        )
    )
    return result.rowcount == 1


def delete_expired_runs(session: Session, older_than: datetime, *, limit: int = 500) -> int:
    """Delete up to ``limit`` finished, unpinned runs created before ``older_than`` (oldest
    first) in the caller's transaction; the number deleted."""
    ids = session.scalars(
        select(BacktestRun.run_id)
        .where(
            BacktestRun.created_at < older_than,
            BacktestRun.status.in_(list(FINISHED)),
            BacktestRun.pinned == false(),
        )
        .order_by(BacktestRun.created_at)
        .limit(limit)
    ).all()
    if not ids:
        return 0
    result = session.execute(
        delete(BacktestRun).where(
            BacktestRun.run_id.in_(list(ids)), BacktestRun.status.in_(list(FINISHED))
        )
    )
    return int(result.rowcount)


def runs_in_status(
    session: Session, status: str, *, queue: str, older_than: datetime, limit: int = 500
) -> list[BacktestRun]:
    """Runs of ``queue`` in ``status`` created (PENDING) or started (RUNNING) before
    ``older_than``."""
    column = BacktestRun.started_at if status == RunStatus.RUNNING else BacktestRun.created_at
    return list(
        session.scalars(
            select(BacktestRun)
            .options(load_only(*SUMMARY_COLUMNS, BacktestRun.queue))
            .where(BacktestRun.queue == queue, BacktestRun.status == status, column < older_than)
            .order_by(column)
            .limit(limit)
        ).all()
    )


HEADER_COLUMNS = (
    *SUMMARY_COLUMNS,
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
        .options(load_only(*SUMMARY_COLUMNS))
        .where(BacktestRun.run_id.in_(list(run_ids)))
    )
    rows = {row.run_id: row for row in session.scalars(statement)}
    return [rows[run_id] for run_id in run_ids if run_id in rows]


def get_status(session: Session, run_id: str) -> str | None:
    """The run's status, or None when there is no such run."""
    return session.scalar(select(BacktestRun.status).where(BacktestRun.run_id == run_id))


@dataclass(frozen=True)
class RunVersion:
    """What changes whenever a run's status document changes (its ETag's inputs): the status,
    attempts and timestamps (and so the metrics, error or result), and the labels and sharing
    a user may edit (``PATCH /api/runs/<id>``)."""

    status: str
    attempts: int
    started_at: datetime | None
    completed_at: datetime | None
    name: str | None
    tags: str | None
    notes: str | None
    pinned: bool
    shared: bool

    @classmethod
    def of(cls, row: BacktestRun) -> RunVersion:
        """The version of a loaded row."""
        return cls(*(getattr(row, column.key) for column in VERSION_COLUMNS))


VERSION_COLUMNS = (
    BacktestRun.status,
    BacktestRun.attempts,
    BacktestRun.started_at,
    BacktestRun.completed_at,
    BacktestRun.name,
    BacktestRun.tags,
    BacktestRun.notes,
    BacktestRun.pinned,
    BacktestRun.shared,
)
"""The columns of a ``RunVersion``, in its field order: none of them a JSON document."""


def get_run_version(session: Session, run_id: str) -> RunVersion | None:
    """The run's ``RunVersion`` from one narrow SELECT (no JSON column), or None."""
    row = session.execute(select(*VERSION_COLUMNS).where(BacktestRun.run_id == run_id)).first()
    return None if row is None else RunVersion(*row)


def get_result_text(session: Session, run_id: str) -> tuple[str, str | None] | None:
    """(status, stored result JSON text or None) of a run, or None when there is no such run."""
    row = session.execute(
        select(BacktestRun.status, BacktestRun.result_json).where(BacktestRun.run_id == run_id)
    ).first()
    return None if row is None else (row.status, row.result_json)
