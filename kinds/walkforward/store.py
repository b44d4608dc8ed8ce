"""Walk-forward rows read with the ORM (the web, the reaper): a walk-forward, its folds,
the list, the reaper's list of stuck folds, and the sweeps list with or without the sweeps
that train a fold. Writes at submission are
``kinds.walkforward.service``'s; the fold transitions are ``kinds.walkforward.state``'s
(re-exported).
Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, not_, select, true, update
from sqlalchemy.orm import Session, defer, load_only

from kinds.sweeps.store import SweepState, list_sweeps, sweep_states
from store.models import Sweep, SweepChunk, WalkForward, WalkForwardFold
from work.status import RunStatus

LIST_LIMIT = 100
"""Most walk-forwards ``GET /api/walkforward`` lists."""


def get_walkforward(session: Session, walkforward_id: str) -> WalkForward | None:
    """The walk-forward, or None."""
    return session.get(WalkForward, walkforward_id)


def list_walkforwards(
    session: Session, limit: int = LIST_LIMIT, visible: ColumnElement[bool] | None = None
) -> list[WalkForward]:
    """The newest walk-forwards first; ``visible``: the rows the viewer may see
    (``web.ownership``)."""
    return list(
        session.scalars(
            select(WalkForward)
            .where(true() if visible is None else visible)
            .order_by(WalkForward.created_at.desc(), WalkForward.walkforward_id.desc())
            .limit(limit)
        ).all()
    )


def set_walkforward_shared(session: Session, walkforward_id: str, shared: bool) -> bool:
    """Share the walk-forward read-only (or stop) and, with it, its folds' training sweeps
    (its page links to them), in the caller's transaction; False if there is no such
    walk-forward."""
    statement = (
        update(WalkForward)
        .where(WalkForward.walkforward_id == walkforward_id)
        .values(shared=shared)
    )
    if session.execute(statement).rowcount != 1:
        return False
    fold_sweeps = select(WalkForwardFold.sweep_id).where(
        WalkForwardFold.walkforward_id == walkforward_id
    )
    session.execute(
        update(Sweep)
        .where(Sweep.sweep_id.in_(fold_sweeps))
        .values(shared=shared)
        .execution_options(synchronize_session=False)
    )
    return True


def folds_of(
    session: Session, walkforward_ids: list[str], *, results: bool = True
) -> dict[str, list[WalkForwardFold]]:
    """Each walk-forward's folds in fold order; ``results=False`` leaves their (large)
    ``result_json`` unloaded until read."""
    out: dict[str, list[WalkForwardFold]] = {key: [] for key in walkforward_ids}
    if walkforward_ids:
        statement = select(WalkForwardFold)
        if not results:
            statement = statement.options(defer(WalkForwardFold.result_json))
        rows = session.scalars(
            statement.where(WalkForwardFold.walkforward_id.in_(walkforward_ids)).order_by(
                WalkForwardFold.walkforward_id, WalkForwardFold.fold_no
            )
        ).all()
        for row in rows:
            out[row.walkforward_id].append(row)
    return out


def folds_in_status(
    session: Session, status: str, *, queue: str, older_than: datetime, limit: int = 500
) -> list[WalkForwardFold]:
    """Folds of ``queue`` in ``status`` since before ``older_than`` (started, RUNNING; else
    created); a PENDING fold only once no chunk of its training sweep is PENDING or RUNNING
    (before that, no job of it should exist)."""
    column = (
        WalkForwardFold.started_at if status == RunStatus.RUNNING else WalkForwardFold.created_at
    )
    where = [WalkForwardFold.queue == queue, WalkForwardFold.status == status, column < older_than]
    if status == RunStatus.PENDING:
        open_chunk = exists().where(
            and_(
                SweepChunk.sweep_id == WalkForwardFold.sweep_id,
                SweepChunk.status.in_((RunStatus.PENDING, RunStatus.RUNNING)),
            )
        )
        where.append(~open_chunk)
    return list(
        session.scalars(select(WalkForwardFold).where(*where).order_by(column).limit(limit)).all()
    )


def sweep_states_of(session: Session, sweep_ids: list[str]) -> dict[str, SweepState]:
    """The derived state of each fold's training sweep (``kinds.sweeps.store.sweep_states``)."""
    if not sweep_ids:
        return {}
    rows = session.scalars(
        select(Sweep)
        .options(load_only(Sweep.sweep_id, Sweep.combos))
        .where(Sweep.sweep_id.in_(sweep_ids))
    ).all()
    return sweep_states(session, list(rows))


def folds_by_sweep(session: Session, sweep_ids: list[str]) -> dict[str, tuple[str, int]]:
    """For each sweep among ``sweep_ids`` that trains a walk-forward fold: (walkforward_id,
    fold_no) — the sweeps list marks those sweeps."""
    if not sweep_ids:
        return {}
    rows = session.execute(
        select(
            WalkForwardFold.sweep_id, WalkForwardFold.walkforward_id, WalkForwardFold.fold_no
        ).where(WalkForwardFold.sweep_id.in_(sweep_ids))
    ).all()
    return {sweep_id: (walkforward_id, fold_no) for sweep_id, walkforward_id, fold_no in rows}


def listed_sweeps(
    session: Session,
    *,
    page: int = 1,
    per_page: int = 50,
    visible: ColumnElement[bool] | None = None,
    folds: bool = False,
) -> tuple[list[Sweep], int]:
    """``kinds.sweeps.store.list_sweeps`` without the sweeps that train a walk-forward fold
    (they belong to their walk-forward, whose page links them); ``folds``: with them."""
    if not folds:
        trains_a_fold = exists().where(WalkForwardFold.sweep_id == Sweep.sweep_id)
        visible = and_(true() if visible is None else visible, not_(trains_a_fold))
    return list_sweeps(session, page=page, per_page=per_page, visible=visible)
