"""Submitting and steering a study, without HTTP: what ``web.api.studies`` calls.

Submit: validate (``kinds.studies.contract``; a study over another kind's base request,
``kinds.studies.bases``), check the ticker's data serves the window
(the data's hash is kept: every batch checks it) → INSERT the study and its first batches
(up to its ``parallelism``) PENDING in one transaction → enqueue them (``work.submit``).
Pause sets a flag (no new batch is queued; the running ones finish); resume clears it and
queues the next batches; extend raises the trial budget of a study that has not ended and
queues batches for the new trials. Each is one locked transaction (``lock_study``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kinds.runs.contract import RequestError
from kinds.runs.execute import load_market_data
from kinds.studies.bases import base_data_hash, is_base_study, parse_base_study
from kinds.studies.contract import StudyRequest, batch_message, parse_study_request
from kinds.studies.fields import MAX_TRIALS
from kinds.studies.state import (
    BATCHES,
    STUDIES,
    continue_study,
    end_study,
    insert_batches,
    lock_study,
    open_batch_messages,
)
from kinds.sweeps.provenance import provenance
from store.dbapi import as_tx
from store.models import Study, utcnow
from work.status import RunStatus
from work.submit import Submission
from work.transitions import fail_item


@dataclass(frozen=True)
class Planned:
    """A validated study and the hash of the data it was planned on."""

    request: StudyRequest
    data_hash: str

    @property
    def first_batches(self) -> int:
        stored = self.request.stored
        return min(stored["parallelism"], -(-stored["n_trials"] // stored["batch_size"]))


def validate_study(
    payload: object, data_dir: Path | str | None = None, bar_limit: int | None = None
) -> Planned:
    """The study request checked, and its data.

    :raise RequestError: naming the field.
    """
    if isinstance(payload, dict) and is_base_study(payload):
        request = parse_base_study(payload)
    else:
        request = parse_study_request(payload)
    if request.base is None:  # another kind's base: the hash of its data (its own check)
        return Planned(request, base_data_hash(request.stored, data_dir))
    market = load_market_data(request.base, data_dir, bar_limit)
    return Planned(request, market.data_hash)


def study_submission(
    planned: Planned, *, image_tag: str | None, created_by: str | None = None
) -> Submission:
    """What submitting ``planned`` records and queues (``work.submit``): the study and its
    first batches PENDING, one message per batch; a failed enqueue fails the study."""
    request = planned.request
    study_id = request.study_id
    stored = request.stored
    messages = [batch_message(study_id, no) for no in range(planned.first_batches)]

    def insert(session: Session, queue: str) -> None:
        now = utcnow()
        timeout = stored["timeout_s"]
        session.add(
            Study(
                study_id=study_id,
                ticker=stored["ticker"],
                rule_type=stored["rule_type"],
                sampler=stored["sampler"],
                request_json=json.dumps(stored, separators=(",", ":")),
                n_trials=stored["n_trials"],
                parallelism=stored["parallelism"],
                deadline_at=None if timeout is None else now + timedelta(seconds=timeout),
                paused=False,
                status=RunStatus.PENDING,
                **provenance(
                    planned.data_hash, image_tag=image_tag, created_by=created_by, created_at=now
                ),
            )
        )
        session.flush()
        insert_batches(session, study_id, 0, planned.first_batches, queue)

    def fail(session: Session, error: str) -> int:
        tx = as_tx(session)
        lock_study(tx, study_id)  # first: the one lock order (kinds.studies.state)
        pending = [message["batch_id"] for message in open_batch_messages(tx, study_id)]
        expected = (RunStatus.PENDING,)
        failed = sum(
            fail_item(tx, BATCHES, "batch_id", batch, error, expected=expected) for batch in pending
        )
        end_study(session, study_id, RunStatus.FAILED, error)
        return failed

    return Submission(insert, messages, fail)


class StudyEnded(Exception):
    """The study has ended: it cannot be resumed or extended."""


def _steer(session: Session, study_id: str, queue: str, change: dict[str, Any]) -> list[dict]:
    """Apply ``change`` to the study's row (locked), continue it; the PENDING batches'
    messages (to queue).

    :raise StudyEnded: the study has ended.
    """
    tx = as_tx(session)
    study = lock_study(tx, study_id)
    if study is None or study.finished:
        raise StudyEnded(study_id)
    if "n_trials" in change:
        total = study.n_trials + change["n_trials"]
        if total > MAX_TRIALS:
            raise RequestError("n_trials", f"would take the budget past {MAX_TRIALS} trials")
        change = {"n_trials": total}
    sets = ", ".join(f"{name} = ?" for name in change)
    tx.execute(f"UPDATE {STUDIES} SET {sets} WHERE study_id = ?", (*change.values(), study_id))
    continue_study(tx, study_id, queue)
    return open_batch_messages(tx, study_id)


def pause(session: Session, study_id: str, queue: str) -> list[dict]:
    """Set the paused flag: no new batch is queued (running ones finish)."""
    return _steer(session, study_id, queue, {"paused": True})


def resume(session: Session, study_id: str, queue: str) -> list[dict]:
    """Clear the paused flag and top the study's batches up again."""
    return _steer(session, study_id, queue, {"paused": False})


def extend(session: Session, study_id: str, queue: str, more: int) -> list[dict]:
    """Raise the trial budget by ``more`` and queue batches for them."""
    return _steer(session, study_id, queue, {"n_trials": more})
