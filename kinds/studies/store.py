"""Study rows read with the ORM (the web): a study, the list, its trials and its batches'
counts. Writes are ``kinds.studies.service``'s and ``kinds.studies.state``'s. Nothing here
commits."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.orm import Session

from store.models import Study, StudyBatch, StudyTrial

LIST_LIMIT = 100
"""Most studies ``GET /api/studies`` lists."""


def get_study(session: Session, study_id: str) -> Study | None:
    """The study, or None."""
    return session.get(Study, study_id)


def list_studies(
    session: Session, limit: int = LIST_LIMIT, visible: ColumnElement[bool] | None = None
) -> list[Study]:
    """The newest studies first; ``visible``: the rows the viewer may see."""
    return list(
        session.scalars(
            select(Study)
            .where(true() if visible is None else visible)
            .order_by(Study.created_at.desc(), Study.study_id.desc())
            .limit(limit)
        ).all()
    )


def trials_of(session: Session, study_id: str) -> list[StudyTrial]:
    """The study's trials in number order."""
    return list(
        session.scalars(
            select(StudyTrial).where(StudyTrial.study_id == study_id).order_by(StudyTrial.number)
        ).all()
    )


def trial_counts(session: Session, study_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per study, how many trials are in each state."""
    out: dict[str, dict[str, int]] = {key: {} for key in study_ids}
    if study_ids:
        rows = session.execute(
            select(StudyTrial.study_id, StudyTrial.state, func.count())
            .where(StudyTrial.study_id.in_(study_ids))
            .group_by(StudyTrial.study_id, StudyTrial.state)
        ).all()
        for study_id, state, count in rows:
            out[study_id][state] = int(count)
    return out


def batch_counts(session: Session, study_id: str) -> dict[str, int]:
    """How many of the study's batches are in each status."""
    rows = session.execute(
        select(StudyBatch.status, func.count())
        .where(StudyBatch.study_id == study_id)
        .group_by(StudyBatch.status)
    ).all()
    return {status: int(count) for status, count in rows}


def set_study_shared(session: Session, study_id: str, shared: bool) -> bool:
    """Share the study read-only (or stop), in the caller's transaction; False if none."""
    statement = update(Study).where(Study.study_id == study_id).values(shared=shared)
    return session.execute(statement).rowcount == 1
