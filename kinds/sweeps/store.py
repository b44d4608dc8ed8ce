"""Sweep rows: INSERT a sweep with its chunks PENDING, and the reads (derived sweep status,
results pages, the reaper's lists). The guarded chunk transitions and storing a chunk's
results are defined once in ``kinds.sweeps.state`` (plain SQL a Job runs without SQLAlchemy) and
re-exported here.

Chunk transitions are guarded UPDATEs (``work.transitions``: ``… WHERE status IN
(expected)``), forward only. Nothing here commits: the caller owns the transaction
(``with session.begin():``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased, load_only

from kinds.sweeps.contract import SweepRequest
from kinds.sweeps.state import (  # noqa: F401  (re-exported: the one chunk-transition path)
    mark_chunk_running,
    record_write_ms,
    store_chunk_results,
)
from kinds.sweeps.status import SWEEP_FINISHED, SweepStatus
from metrics import sweep_metric_keys
from store.models import Sweep, SweepChunk, SweepMetricValue, SweepResult, utcnow
from work.status import ALL_STATUSES, RunStatus
from work.transitions import new_item


def insert_sweep(
    session: Session,
    sweep: SweepRequest,
    chunks: Sequence[dict],
    *,
    image_tag: str | None,
    queue: str,
    created_by: str | None = None,
    cache_key: str | None = None,
) -> Sweep:
    """Add ``sweep`` and all its chunks PENDING to the caller's transaction (before any
    enqueue). ``chunks`` are its queue messages (``kinds.sweeps.contract.chunk_payloads``), bound
    for ``queue``; ``created_by`` is the submitting token's name (None without auth);
    ``cache_key`` its ``kinds.sweeps.cache`` key, which makes it a source once it finished."""
    now = utcnow()
    sweep_id = sweep.sweep_id
    row = Sweep(
        sweep_id=sweep_id,
        rule_type=sweep.rule_type,
        tickers=",".join(sweep.tickers)[:512],
        request_json=json.dumps(sweep.to_dict(), separators=(",", ":")),
        combos=sweep.combos,
        skipped=sweep.grid.skipped,
        chunks=len(chunks),
        chunk_size=sweep.chunk_size,
        image_tag=image_tag,
        created_by=created_by,
        created_at=now,
        cache_key=cache_key,
        top_k=sweep.top_k,
    )
    session.add(row)
    session.flush()
    session.execute(
        insert(SweepChunk),
        [
            {
                "chunk_id": payload["chunk_id"],
                "sweep_id": sweep_id,
                "chunk_no": payload["chunk_no"],
                "ticker": payload["request"]["ticker"],
                "combo_first": payload["combo_first"],
                "combo_count": payload.get("combo_count") or len(payload["combos"]),
                "payload_json": json.dumps(payload, separators=(",", ":")),
                **new_item(queue, now),
            }
            for payload in chunks
        ],
    )
    return row


def fail_pending_chunks(session: Session, sweep_id: str, message: str) -> int:
    """Every chunk of the sweep still PENDING → FAILED (its enqueue failed); the count."""
    statement = (
        update(SweepChunk)
        .where(SweepChunk.sweep_id == sweep_id, SweepChunk.status == RunStatus.PENDING)
        .values(status=RunStatus.FAILED, error_message=message, completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)


def get_sweep(session: Session, sweep_id: str) -> Sweep | None:
    """The sweep, or None."""
    return session.get(Sweep, sweep_id)


def get_chunk(session: Session, chunk_id: str) -> SweepChunk | None:
    """The chunk, or None."""
    return session.get(SweepChunk, chunk_id)


CHUNK_COLUMNS = tuple(
    getattr(SweepChunk, name)
    for name in SweepChunk.__table__.columns.keys()  # noqa: SIM118 - a ColumnCollection
    if name != "payload_json"
)
"""Everything about a chunk but its (large) queue message."""


def list_chunks(session: Session, sweep_id: str) -> list[SweepChunk]:
    """The sweep's chunks in chunk order (without their messages)."""
    return list(
        session.scalars(
            select(SweepChunk)
            .options(load_only(*CHUNK_COLUMNS))
            .where(SweepChunk.sweep_id == sweep_id)
            .order_by(SweepChunk.chunk_no)
        ).all()
    )


@dataclass(frozen=True)
class SweepState:
    """A sweep's status and progress, derived from its chunks.

    ``status``: PENDING (no chunk started), RUNNING (some chunk started and not every chunk
    finished), SUCCEEDED (every chunk SUCCEEDED), FAILED (every chunk finished, none
    SUCCEEDED), PARTIAL (every chunk finished, some SUCCEEDED and some FAILED). ``done``:
    combinations stored; ``failed``: combinations of FAILED chunks; ``total``: all.
    """

    status: SweepStatus
    done: int
    failed: int
    total: int
    chunks: dict[str, int] = field(default_factory=dict)
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in SWEEP_FINISHED


def derive_state(total: int, groups: Iterable[tuple]) -> SweepState:
    """The state from per-status groups ``(status, chunks, combos, first start, last
    completion)`` of one sweep's chunks."""
    chunks = dict.fromkeys(ALL_STATUSES, 0)
    combos = dict.fromkeys(ALL_STATUSES, 0)
    starts, ends = [], []
    for status, n_chunks, n_combos, started, completed in groups:
        chunks[status] = int(n_chunks)
        combos[status] = int(n_combos or 0)
        starts += [started] if started else []
        ends += [completed] if completed else []
    all_chunks = sum(chunks.values())
    finished = chunks[RunStatus.SUCCEEDED] + chunks[RunStatus.FAILED]
    if all_chunks and chunks[RunStatus.SUCCEEDED] == all_chunks:
        status = SweepStatus.SUCCEEDED
    elif all_chunks and finished == all_chunks:
        status = SweepStatus.PARTIAL if chunks[RunStatus.SUCCEEDED] else SweepStatus.FAILED
    elif chunks[RunStatus.PENDING] == all_chunks:
        status = SweepStatus.PENDING
    else:
        status = SweepStatus.RUNNING
    return SweepState(
        status=status,
        done=combos[RunStatus.SUCCEEDED],
        failed=combos[RunStatus.FAILED],
        total=total,
        chunks=chunks,
        started_at=min(starts) if starts else None,
        completed_at=max(ends) if ends and status != SweepStatus.RUNNING else None,
    )


def _groups(session: Session, sweep_ids: Sequence[str]):
    return session.execute(
        select(
            SweepChunk.sweep_id,
            SweepChunk.status,
            func.count(),
            func.sum(SweepChunk.combo_count),
            func.min(SweepChunk.started_at),
            func.max(SweepChunk.completed_at),
        )
        .where(SweepChunk.sweep_id.in_(tuple(sweep_ids)))
        .group_by(SweepChunk.sweep_id, SweepChunk.status)
    ).all()


def sweep_states(session: Session, sweeps: Sequence[Sweep]) -> dict[str, SweepState]:
    """The derived state of each sweep (one grouped query)."""
    grouped: dict[str, list[tuple]] = {sweep.sweep_id: [] for sweep in sweeps}
    if sweeps:
        for sweep_id, *group in _groups(session, list(grouped)):
            grouped[sweep_id].append(tuple(group))
    return {sweep.sweep_id: derive_state(sweep.combos, grouped[sweep.sweep_id]) for sweep in sweeps}


SWEEP_COLUMNS = tuple(
    getattr(Sweep, name)
    for name in Sweep.__table__.columns.keys()  # noqa: SIM118 - a ColumnCollection
    if name != "request_json"
)
"""Everything about a sweep but its (large) request."""


def list_sweeps(
    session: Session,
    *,
    page: int = 1,
    per_page: int = 50,
    visible: ColumnElement[bool] | None = None,
) -> tuple[list, int]:
    """One page of sweeps, newest first (no request JSON), and the total count; ``visible``:
    the rows the viewer may see (``web.ownership``)."""
    where = true() if visible is None else visible
    rows = session.scalars(
        select(Sweep)
        .options(load_only(*SWEEP_COLUMNS))
        .where(where)
        .order_by(Sweep.created_at.desc(), Sweep.sweep_id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    total = session.scalar(select(func.count()).select_from(Sweep).where(where))
    return list(rows), int(total or 0)


def set_sweep_shared(session: Session, sweep_id: str, shared: bool) -> bool:
    """Share the sweep read-only (or stop), in the caller's transaction; False if there is
    no such sweep."""
    statement = update(Sweep).where(Sweep.sweep_id == sweep_id).values(shared=shared)
    return session.execute(statement).rowcount == 1


def sort_keys() -> tuple[str, ...]:
    """What results can be sorted by: combo_no and every metric a sweep stores (read from
    the registry on each call, so a metric registered since counts)."""
    return ("combo_no", *sweep_metric_keys())


def result_value(session: Session, name: str) -> ColumnElement[Any]:
    """A stored result's ``name``: its column (combo_no, ticker, params_json, the built-in
    metrics), or a metric without one read from ``extra_metrics`` by the database (NULL for
    rows that lack it): what reading every row (the CSV, the heatmap) selects. SQLite's
    ``json_extract`` gives the number; MySQL/MariaDB's ``JSON_EXTRACT`` its JSON text, made a
    double by ``+ 0e0`` (``extra_metrics`` never holds a JSON null, which that would read as
    0). Sorting and filtering by such a metric read ``sweep_metric_values`` instead
    (``results_page``). ``name`` must be one of those columns or ``sweep_metric_keys()``,
    never unchecked request text."""
    if _is_column(name):
        return getattr(SweepResult, name)
    value = func.json_extract(SweepResult.extra_metrics, f"$.{name}")
    return value if session.get_bind().dialect.name == "sqlite" else value + literal_column("0e0")


def _is_column(name: str) -> bool:
    return name in SweepResult.__table__.columns


def _values_of(sweep_id: str, name: str):
    """The sweep's ``sweep_metric_values`` rows of the metric ``name`` (a fresh alias) and
    the condition that selects them."""
    values = aliased(SweepMetricValue)
    return values, (values.sweep_id == sweep_id) & (values.metric == name)


def _within(value, low: float | None, high: float | None) -> list[ColumnElement[bool]]:
    """``value`` between ``low`` and ``high`` (None: that side open)."""
    at_least = [value >= low] if low is not None else []
    return at_least + ([value <= high] if high is not None else [])


Bounds = dict[str, tuple[float | None, float | None]]
"""Per metric, the lowest and highest value a result may have to be listed (None: open)."""


def _filtered(
    session: Session, statement, sweep_id: str, ticker: str | None, bounds: Bounds | None = None
):
    """``statement`` kept to the sweep's results of ``ticker`` within ``bounds``, each
    compared on the result row (``result_value``: its column, or its ``extra_metrics``;
    undefined values drop out). A row read anyway is compared fastest there: looking each
    one up in ``sweep_metric_values`` costs more than reading its JSON."""
    statement = statement.where(SweepResult.sweep_id == sweep_id)
    for name, (low, high) in (bounds or {}).items():
        statement = statement.where(*_within(result_value(session, name), low, high))
    return statement.where(SweepResult.ticker == ticker) if ticker else statement


def _from_values(session: Session, statement, values):
    """``statement`` read from ``values`` (an alias of ``sweep_metric_values``) first, then
    each result it names by primary key: MySQL/MariaDB are told the order (STRAIGHT_JOIN),
    their planner would read every result and look its value up instead."""
    joined = statement.select_from(values).join(
        SweepResult,
        (SweepResult.sweep_id == values.sweep_id) & (SweepResult.combo_no == values.combo_no),
    )
    mysql = session.get_bind().dialect.name in ("mysql", "mariadb")
    return joined.prefix_with("STRAIGHT_JOIN") if mysql else joined


def _by_column(sort: str, descending: bool) -> list[ColumnElement[Any]]:
    """ORDER BY the column ``sort`` with undefined values last, then combo_no."""
    value = getattr(SweepResult, sort)
    order = [value.is_(None), value.desc() if descending else value.asc()]
    return order if sort == "combo_no" else [*order, SweepResult.combo_no.asc()]


def _first_extra(bounds: Bounds | None) -> str | None:
    """The first bounded metric without a column: what a filtered read starts from."""
    return next((name for name in bounds or {} if not _is_column(name)), None)


@dataclass(frozen=True)
class _Page:
    """One page of a sweep's results: those of ``ticker`` within ``bounds``, sorted by
    ``sort``, ``limit`` rows from ``offset``."""

    sweep_id: str
    sort: str
    descending: bool
    offset: int
    limit: int
    ticker: str | None
    bounds: Bounds | None

    def filtered(self, session: Session, statement):
        """``statement`` kept to the results this page is drawn from (``_filtered``)."""
        return _filtered(session, statement, self.sweep_id, self.ticker, self.bounds)


def _page_by_column(session: Session, page: _Page) -> list[SweepResult]:
    """A page sorted by a column."""
    order = _by_column(page.sort, page.descending)
    statement = page.filtered(session, select(SweepResult)).order_by(*order)
    return list(session.scalars(statement.limit(page.limit).offset(page.offset)).all())


def _page_by_extra(session: Session, page: _Page) -> list[SweepResult]:
    """A page sorted by ``sort``, a metric without a column: the combos that have a value,
    read in the order of its index on ``sweep_metric_values`` (the value, or ``negated``
    for descending order, then combo_no), then those without one in combo order
    (undefined values last either way)."""
    values, of_metric = _values_of(page.sweep_id, page.sort)
    defined = page.filtered(
        session, _from_values(session, select(SweepResult), values).where(of_metric)
    )
    key = values.negated if page.descending else values.value
    rows = list(
        session.scalars(
            defined.order_by(key.asc(), values.combo_no.asc()).limit(page.limit).offset(page.offset)
        ).all()
    )
    if len(rows) >= page.limit:
        return rows
    before = page.offset + len(rows)
    if not rows:  # past the defined values: how many there are
        counted = defined.with_only_columns(func.count()).order_by(None)
        before = int(session.scalar(counted) or 0)
    missing, of_missing = _values_of(page.sweep_id, page.sort)
    undefined = page.filtered(session, select(SweepResult)).where(
        ~exists().where(of_missing, missing.combo_no == SweepResult.combo_no)
    )
    rows += session.scalars(
        undefined.order_by(SweepResult.combo_no)
        .limit(page.limit - len(rows))
        .offset(max(0, page.offset - before))
    ).all()
    return rows


def _count(session: Session, sweep_id: str, ticker: str | None, bounds: Bounds | None) -> int:
    """How many results ``_filtered`` keeps. Bounded by a metric without a column, the
    count starts from its index range (and reads only that when nothing else is asked)."""
    extra = _first_extra(bounds)
    if extra is None:
        statement = _filtered(session, select(func.count()), sweep_id, ticker, bounds)
        return int(session.scalar(statement.select_from(SweepResult)) or 0)
    values, of_metric = _values_of(sweep_id, extra)
    rest = {name: bound for name, bound in (bounds or {}).items() if name != extra}
    within = [of_metric, *_within(values.value, *(bounds or {})[extra])]
    if not rest and not ticker:
        statement = select(func.count()).select_from(values).where(*within)
    else:
        statement = _filtered(
            session,
            _from_values(session, select(func.count()), values).where(*within),
            sweep_id,
            ticker,
            rest,
        )
    return int(session.scalar(statement) or 0)


def results_page(
    session: Session,
    sweep_id: str,
    *,
    sort: str = "combo_no",
    descending: bool = False,
    page: int = 1,
    per_page: int = 50,
    top: int | None = None,
    ticker: str | None = None,
    bounds: Bounds | None = None,
) -> tuple[list[SweepResult], int]:
    """One page of stored results sorted by ``sort`` (undefined values last, then by
    combo_no), and how many there are; ``top`` keeps only the first ``top`` of that order;
    ``bounds`` keeps only results whose metrics lie within them (undefined ones drop out).
    A metric without a column is sorted and filtered through its index on
    ``sweep_metric_values``."""
    offset = (page - 1) * per_page
    limit = per_page if top is None else max(0, min(per_page, top - offset))
    page_of = _page_by_column if _is_column(sort) else _page_by_extra
    wanted = _Page(sweep_id, sort, descending, offset, limit, ticker, bounds)
    rows = page_of(session, wanted) if limit else []
    total = _count(session, sweep_id, ticker, bounds)
    return rows, total if top is None else min(total, top)


def iter_results(
    session: Session,
    sweep_id: str,
    columns: Sequence[str],
    batch: int = 5000,
    *,
    within: tuple[int, int] | None = None,
) -> Iterator[tuple]:
    """Every stored result of the sweep in combo order (``within``: only the combo_nos from
    its first to its last, both included), as tuples of ``columns`` (keyset pages of
    ``batch`` rows, so a 100,000-row sweep is never held at once); a metric without a
    column is read from ``extra_metrics`` (``result_value``)."""
    selected = [result_value(session, name) for name in ("combo_no", *columns)]
    after = -1 if within is None else within[0] - 1
    last = [] if within is None else [SweepResult.combo_no <= within[1]]
    while True:
        rows = session.execute(
            select(*selected)
            .where(SweepResult.sweep_id == sweep_id, SweepResult.combo_no > after, *last)
            .order_by(SweepResult.combo_no)
            .limit(batch)
        ).all()
        for row in rows:
            yield tuple(row)[1:]
        if len(rows) < batch:
            return
        after = rows[-1][0]


def get_result(session: Session, sweep_id: str, combo_no: int) -> SweepResult | None:
    """One stored combination, or None."""
    return session.get(SweepResult, (sweep_id, combo_no))


def chunks_in_status(
    session: Session, status: str, *, queue: str, older_than: datetime, limit: int = 500
) -> list[SweepChunk]:
    """Chunks of ``queue`` in ``status`` created (PENDING) or started (RUNNING) before
    ``older_than``, with their messages (the reaper re-enqueues from them)."""
    column = SweepChunk.started_at if status == RunStatus.RUNNING else SweepChunk.created_at
    return list(
        session.scalars(
            select(SweepChunk)
            .where(
                and_(SweepChunk.queue == queue, SweepChunk.status == status, column < older_than)
            )
            .order_by(column)
            .limit(limit)
        ).all()
    )
