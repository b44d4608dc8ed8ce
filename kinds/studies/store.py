"""Study rows read with the ORM (the web): a study, the list, its trials (every one, one
page of them in a chosen order, or in keyset batches for a download), their outcomes (what
the status document summarises) and its batches' counts. Writes are
``kinds.studies.service``'s and ``kinds.studies.state``'s. Nothing here commits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, true, update
from sqlalchemy.orm import Session

from kinds.studies.sampling import COMPLETE
from kinds.studies.state import json_column
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


@dataclass(frozen=True)
class TrialSummary:
    """What the status document reads of a study's trials: how many are in each state, how
    many copied another trial's metrics, and the COMPLETE trials' numbers and objective
    values (in number order; never a trial's params or metrics, the bulk of its row)."""

    states: dict[str, int]
    reused: int
    numbers: list[int]
    values: list[list[float]]


def trial_summary(session: Session, study_id: str) -> TrialSummary:
    """The study's ``TrialSummary``: one counting query (per state: the trials, and those
    that copied another's metrics) and one of two short columns of the COMPLETE trials,
    their values decoded by one ``json.loads``."""
    mine = StudyTrial.study_id == study_id
    counted = session.execute(
        select(StudyTrial.state, func.count(), func.count(StudyTrial.reused_from))
        .where(mine)
        .group_by(StudyTrial.state)
    ).all()
    rows = session.execute(
        select(StudyTrial.number, StudyTrial.values_json)
        .where(mine, StudyTrial.state == COMPLETE, StudyTrial.values_json.is_not(None))
        .order_by(StudyTrial.number)
    ).all()
    return TrialSummary(
        {state: int(n) for state, n, _ in counted},
        sum(int(reused) for _, _, reused in counted),
        [row[0] for row in rows],
        json_column(row[1] for row in rows),
    )


def trials_numbered(session: Session, study_id: str, numbers: list[int]) -> list[StudyTrial]:
    """The study's trials ``numbers``, in that order (a number it lacks is left out)."""
    if not numbers:
        return []
    rows = session.scalars(
        select(StudyTrial).where(StudyTrial.study_id == study_id, StudyTrial.number.in_(numbers))
    ).all()
    by_number = {row.number: row for row in rows}
    return [by_number[n] for n in numbers if n in by_number]


SORT_COLUMNS = {"values": "values_json", "params": "params_json", "metrics": "metrics_json"}
"""The JSON column a ``<part>.<key>`` sort reads (``kinds.studies.view.sort_keys``)."""


def trials_page(
    session: Session,
    study_id: str,
    *,
    sort: str = "number",
    descending: bool = False,
    page: int = 1,
    per_page: int = 100,
) -> tuple[list[StudyTrial], int]:
    """One page of the study's trials and how many it has. ``sort``: ``number``, ``state``
    (in SQL) or ``values.<k>``, ``params.<name>``, ``metrics.<key>`` (one JSON column of
    every trial read and decoded at once, sorted here); ties and trials without the value
    (last, whatever the order) in number order."""
    total = session.scalar(
        select(func.count()).select_from(StudyTrial).where(StudyTrial.study_id == study_id)
    )
    first = (page - 1) * per_page
    mine = StudyTrial.study_id == study_id
    if sort in ("number", "state"):
        column = getattr(StudyTrial, sort)
        order = [column.desc() if descending else column.asc()]
        if sort == "state":
            order.append(StudyTrial.number)
        rows = session.scalars(
            select(StudyTrial).where(mine).order_by(*order).offset(first).limit(per_page)
        ).all()
        return list(rows), int(total or 0)
    part, _, key = sort.partition(".")
    column = getattr(StudyTrial, SORT_COLUMNS[part])
    found = session.execute(select(StudyTrial.number, column).where(mine)).all()
    documents = json_column(row[1] for row in found)
    keyed = [
        (_sort_value(doc, part, key), int(row[0]))
        for row, doc in zip(found, documents, strict=True)
    ]
    present = sorted((item for item in keyed if item[0] is not None), key=lambda item: item[1])
    present.sort(key=lambda item: item[0], reverse=descending)
    missing = sorted(number for value, number in keyed if value is None)
    numbers = [number for _, number in present] + missing
    return trials_numbered(session, study_id, numbers[first : first + per_page]), int(total or 0)


def _sort_value(document: Any, part: str, key: str) -> Any:
    """The value a ``<part>.<key>`` sort orders a trial by, or None when it has none."""
    if document is None:
        return None
    if part == "values":
        index = int(key)
        return document[index] if index < len(document) else None
    value = document.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def iter_trials(session: Session, study_id: str, batch: int = 1000) -> Iterator[StudyTrial]:
    """Every trial of the study in number order, read ``batch`` rows at a time (keyset
    pages: a 20,000-trial study is never held at once)."""
    after = -1
    while True:
        rows = session.scalars(
            select(StudyTrial)
            .where(StudyTrial.study_id == study_id, StudyTrial.number > after)
            .order_by(StudyTrial.number)
            .limit(batch)
        ).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].number
        session.expunge_all()  # the rows yielded are not kept by the session


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
