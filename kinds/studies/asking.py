"""Asking a batch's trials without holding the study's lock while the sampler runs.

Rebuilding a study of 18,000 trials in Optuna and drawing 2,000 points from it takes seconds
to tens of seconds; under the study's lock (``kinds.studies.state.lock_study``) eight
batches of one study would ask one after another, each waiting for the others past InnoDB's
lock-wait timeout. So a batch asks in three steps, each its own transaction retried by
``work.retry``, and only the two short ones lock the study:

1. **reserve** (locked): FAIL the trials no Job will finish (``fail_orphans``), count the
   room left in the budget (trials stored, and trials other RUNNING batches reserved and
   are asking), and record this batch's reservation on its row (``asking``);
2. **sample** (no lock): read the trials (a plain, consistent read: batch TPE reads only
   the finished trials' params and values, as columns; random only their count) and ask
   the sampler —
   seeded past every trial stored or reserved before this batch, so a study run one batch
   at a time asks what it always asked, and two batches asking at once do not draw the
   same points;
3. **insert** (locked): keep the re-asked FAIL trials no other batch re-asked meanwhile,
   cut to the room left now, number them after the trials stored now (numbers never
   collide: they are taken under the lock), store them RUNNING and clear the reservation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from kinds.studies.sampling import (
    INDEPENDENT,
    Asked,
    TrialRow,
    ask,
    ask_from_columns,
    asks_from_columns,
)
from kinds.studies.state import (
    StudyState,
    due_rows,
    fail_orphans,
    finished_trials,
    insert_asked,
    lock_study,
    mark_study_running,
    reserve,
    reserved,
    retries_due,
    trial_rows,
    trial_tally,
)
from store.clock import utcnow
from store.dbapi import Database, Tx

logger = logging.getLogger("kinds.studies.asking")


@dataclass(frozen=True)
class Reservation:
    """What a batch may ask: the study's stored request and data hash, ``count`` trials, and
    ``before``: the trials stored or reserved before them (the sampler's seed)."""

    stored: dict[str, Any]
    data_hash: str
    count: int
    before: int


def _room(tx: Tx, study: StudyState, batch: str) -> tuple[int, int, int]:
    """(trials stored, trials other batches reserved, room left in the budget)."""
    total, counted = trial_tally(tx, study.study_id)
    others = reserved(tx, study.study_id, besides=batch)
    if study.paused or study.past_deadline(utcnow()):
        return total, others, 0
    return total, others, max(study.n_trials - counted - others, 0)


def reserve_trials(database: Database, batch: str, study_id: str) -> Reservation | None:
    """Step 1 (locked); None when the study is gone or finished."""
    with database.transaction() as tx:
        study = lock_study(tx, study_id)
        if study is None or study.finished:
            return None
        mark_study_running(tx, study_id)
        failed = fail_orphans(tx, study_id, batch)
        if failed:
            logger.warning("%d trial(s) of a dead batch FAILED; their params are asked again",
                           failed)  # fmt: skip
        total, others, room = _room(tx, study, batch)
        count = min(int(study.stored["batch_size"]), room)
        reserve(tx, batch, count or None)
        return Reservation(study.stored, study.data_hash, count, total + others)


def sample(database: Database, study_id: str, reservation: Reservation) -> list[Asked]:
    """Step 2 (no lock): ``reservation.count`` trials asked of the trials stored now, the
    FAIL trials due for a retry first. Batch TPE reads only the finished trials' params and
    values, random only the count (``ask_from_columns``); the others, and TPE before it has
    a model, read every trial."""
    from work.retry import retry_transaction

    stored, count, before = reservation.stored, reservation.count, reservation.before
    if asks_from_columns(stored):
        modelled = stored["sampler"] not in INDEPENDENT

        def columns() -> tuple[int, list, list[TrialRow]]:
            with database.transaction() as tx:
                total = trial_tally(tx, study_id)[0]
                finished = finished_trials(tx, study_id) if modelled else []
                return total, finished, due_rows(tx, study_id)

        total, finished, retries = retry_transaction(columns)
        asked = ask_from_columns(stored, total, finished, count, retries, before)
        if asked is not None:
            return asked

    def read() -> tuple[list[TrialRow], set[int]]:
        with database.transaction() as tx:
            return trial_rows(tx, study_id), set(retries_due(tx, study_id))

    trials, due = retry_transaction(read)
    retries = [t for t in trials if t.number in due]
    return ask(stored, trials, count, retries, before)


def insert_trials(database: Database, batch: str, study_id: str, asked: list[Asked]) -> list[Asked]:
    """Step 3 (locked): the asked trials this batch may still store, numbered after the
    study's trials, stored RUNNING; the reservation cleared."""
    with database.transaction() as tx:
        study = lock_study(tx, study_id)
        reserve(tx, batch, None)
        if study is None or study.finished:
            return []
        due = set(retries_due(tx, study_id))
        kept = [a for a in asked if a.retry_of is None or a.retry_of in due]
        total, _, room = _room(tx, study, batch)
        numbered = [replace(a, number=total + i) for i, a in enumerate(kept[:room])]
        insert_asked(tx, study_id, batch, numbered)
        return numbered


def ask_batch(
    database: Database, batch: str, study_id: str
) -> tuple[dict[str, Any] | None, list[Asked], str]:
    """The three steps: (stored request, the trials stored RUNNING for ``batch``, data
    hash); no request when the study is gone or finished."""
    from work.retry import retry_transaction

    reservation = retry_transaction(lambda: reserve_trials(database, batch, study_id))
    if reservation is None:
        return None, [], ""
    if not reservation.count:
        return reservation.stored, [], reservation.data_hash
    asked = sample(database, study_id, reservation)
    stored = retry_transaction(lambda: insert_trials(database, batch, study_id, asked))
    return reservation.stored, stored, reservation.data_hash
