"""Study batches as a kind of queued work (``work.kind``): the Job that takes a batch asks
its study for up to ``batch_size`` trials (``kinds.studies.asking``: FAIL the trials no Job
will finish, re-ask their params first, then the sampler's new points; the sampler runs
outside the study's lock), evaluates them through the study's kind's search (a run study's
in one vectorised pass, ``kinds.studies.evaluate``), and stores their outcome with its
SUCCEEDED transition and the study's next step (``kinds.studies.state.continue_study``: the
next batches PENDING, or the study SUCCEEDED) in one transaction that locks the study's row
first. Its
``finished`` hook queues the PENDING batches; the reaper queues any it left (the backstop).

A batch that fails (its Job killed twice, its data gone, a bug) is FAILED and the study
continues (its RUNNING trials are FAILED and re-asked by the next batch) until
``MAX_FAILED_BATCHES`` have failed: then the study is FAILED with that batch's error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from kinds.studies.asking import ask_batch
from kinds.studies.contract import study_of
from kinds.studies.deflated import update_deflated
from kinds.studies.evaluate import Outcome, evaluate_trials
from kinds.studies.reuse import Evaluated, copied, plan, source_of, trial_key
from kinds.studies.sampling import FAIL, Asked, importances
from kinds.studies.state import (
    BATCHES,
    batch_queue,
    continue_study,
    end_study,
    evaluated_trials,
    fail_trials,
    lock_study,
    open_batch_messages,
    running_trials,
    store_importances,
    store_trial,
    trial_rows,
)
from store.dbapi import Database, Tx, as_tx
from work.kind import Claim, WorkFailed, WorkKind
from work.status import RunStatus
from work.transitions import ItemTable, fail_item, succeed_item

logger = logging.getLogger("kinds.studies.kind")

BATCH_FUNCTION = "kinds.studies.kind.run_batch"
"""The job name every queued study batch carries. It never changes."""

STUDIES_SUBMITTED = "backtest_studies_submitted_total"
"""Studies accepted by POST /api/studies (the web counts them)."""

MAX_FAILED_BATCHES = 3
"""Failed batches after which a study is FAILED rather than continued."""

DATA_CHANGED = "the ticker's data file changed since the study was submitted"


@dataclass
class BatchExecution:
    """An evaluated batch: what it stores with its SUCCEEDED transition."""

    batch_id: str
    study_id: str
    queue: str
    outcomes: list[Outcome]
    compute_ms: float
    stored: dict[str, Any] | None = None

    def store(self, tx: Tx) -> bool:
        """The outcomes, the study's importances over every trial now and the deflated
        Sharpe ratio of its best (``kinds.studies.deflated``), its next step."""
        lock_study(tx, self.study_id)  # first: the one lock order (kinds.studies.state)
        if not succeed_item(tx, BATCHES, "batch_id", self.batch_id):
            return False
        for outcome in self.outcomes:
            store_trial(tx, self.study_id, self.batch_id, outcome.number, outcome.state,
                        outcome.values, outcome.metrics, outcome.eval_key,
                        outcome.reused_from)  # fmt: skip
        if self.outcomes and self.stored is not None:
            trials = trial_rows(tx, self.study_id)
            store_importances(tx, self.study_id, importances(self.stored, trials))
            update_deflated(tx, self.study_id, self.batch_id, self.stored, trials)
        continue_study(tx, self.study_id, self.queue)
        return True

    def summary(self, elapsed_ms: float) -> str:
        done = sum(1 for o in self.outcomes if o.state != FAIL)
        reused = sum(1 for o in self.outcomes if o.reused_from)
        return f"succeeded: {done} trials ({reused} reused), compute {self.compute_ms:.0f} ms"


def compute(claim: Claim, message: dict[str, Any]) -> BatchExecution:
    """Ask, evaluate (module docstring) on the process's database.

    :raise WorkFailed: the ticker's data changed since the study was submitted.
    :raise RequestError: the data cannot serve the request any more.
    """
    from store.dbapi import process_database

    return compute_on(process_database(), claim, message)


def compute_on(database: Database, claim: Claim, message: dict[str, Any]) -> BatchExecution:
    """``compute`` on ``database``."""
    from work.retry import retry_transaction

    study_id = str(message["study_id"])
    stored, asked, data_hash = ask_batch(database, claim.item_id, study_id)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    if stored is not None and asked:
        outcomes = _outcomes(database, study_id, claim.item_id, stored, asked, data_hash)
    queue = retry_transaction(lambda: _queue_of(database, claim.item_id))
    elapsed = (time.perf_counter() - started) * 1000
    return BatchExecution(claim.item_id, study_id, queue, outcomes, elapsed, stored)


def _outcomes(
    database: Database,
    study_id: str,
    batch: str,
    stored: dict[str, Any],
    asked: list[Asked],
    data_hash: str,
) -> list[Outcome]:
    """The asked trials' outcomes in asked order: those already evaluated copied
    (``kinds.studies.reuse``), the others evaluated in one pass.

    :raise WorkFailed: the ticker's data changed since the study was submitted.
    """
    from work.retry import retry_transaction

    keys = {trial.number: trial_key(stored, trial.params, data_hash) for trial in asked}
    wanted = sorted({key for key in keys.values() if key is not None})

    def lookup() -> dict[str, Evaluated]:
        with database.transaction() as tx:
            rows = evaluated_trials(tx, study_id, wanted, across=stored.get("cache", True))
        return {key: Evaluated(source_of(s, n), m) for key, (s, n, m) in rows.items()}

    found = retry_transaction(lookup) if wanted else {}
    todo, copies = plan(study_id, asked, keys, found)
    done: dict[int, Outcome] = {}
    if todo:
        evaluated, found_hash = evaluate_trials(stored, todo, batch)
        if found_hash is not None and found_hash != data_hash:
            raise WorkFailed(DATA_CHANGED)
        done = {o.number: replace(o, eval_key=keys[o.number]) for o in evaluated}
    metrics_of = {e.source: e.metrics for e in found.values()}
    metrics_of.update({source_of(study_id, n): o.metrics for n, o in done.items()})
    out = []
    for trial in asked:
        if trial.number in done:
            out.append(done[trial.number])
            continue
        source = copies[trial.number]
        metrics = metrics_of[source]
        state, values, reused = copied(stored["objectives"], metrics, source)
        out.append(Outcome(trial.number, state, values, metrics, keys[trial.number], reused))
    return out


def _queue_of(database: Database, batch: str) -> str:
    with database.transaction() as tx:
        return batch_queue(tx, batch) or ""


def _fail_batch(handle: Any, batch: str, message: str, **expected: Any) -> bool:
    """The batch FAILED; its study continues (its RUNNING trials FAIL and are asked again),
    or, once ``MAX_FAILED_BATCHES`` failed, is FAILED with ``message`` (every RUNNING trial
    FAIL)."""
    tx = as_tx(handle)
    study_id = study_of(batch)
    lock_study(tx, study_id)  # first: the one lock order (kinds.studies.state)
    if not fail_item(tx, BATCHES, "batch_id", batch, message, **expected):
        return False
    row = tx.fetchone(f"SELECT queue FROM {BATCHES} WHERE batch_id = ?", (batch,))
    if row is None:
        return True
    failed = tx.fetchone(
        f"SELECT COUNT(*) AS n FROM {BATCHES} WHERE study_id = ? AND status = ?",
        (study_id, RunStatus.FAILED),
    )
    if failed is not None and int(failed["n"]) >= MAX_FAILED_BATCHES:
        if end_study(tx, study_id, RunStatus.FAILED, message):
            fail_trials(tx, study_id, running_trials(tx, study_id))
        return True
    continue_study(tx, study_id, row["queue"])
    return True


def _finished(database: Database, claim: Claim, message: dict[str, Any]) -> None:
    """After a batch's outcome is committed: queue the study's PENDING batches (their job
    ids are their batch ids, so a batch is queued once however many hooks race)."""
    from work.queue import enqueue_follow_up
    from work.retry import retry_transaction

    study_id = str(message.get("study_id", ""))

    def pending() -> list[dict]:
        with database.transaction() as tx:
            return open_batch_messages(tx, study_id)

    for follow in retry_transaction(pending):
        if enqueue_follow_up(follow_up(follow)) is not None:
            logger.info("queued %s", follow["batch_id"])


def follow_up(message: dict[str, Any]) -> dict[str, Any]:
    """A batch message as ``work.queue.enqueue_follow_up`` takes it."""
    return {
        "function": BATCH_FUNCTION,
        "job_id": message["batch_id"],
        "payload": message,
        "description": BATCH.describe(message),
    }


BATCH = WorkKind(
    name="study batch",
    function=BATCH_FUNCTION,
    items=ItemTable(name=BATCHES, id_field="batch_id"),
    compute=compute,
    queue="sweeps",
    queue_env="SWEEP_QUEUE",
    mark_failed=_fail_batch,
    finished=_finished,
    resource="studies",
    noun="study",
    telemetry={
        STUDIES_SUBMITTED: "Studies accepted by POST /api/studies.",
    },
)
"""The study-batch kind."""
