"""A study's rows as its batch Jobs see them, in plain SQL on a ``store.dbapi.Tx`` (a Job
imports no SQLAlchemy; the web and the reaper pass a session through ``as_tx``): the study
locked for one decision, its trials, asking a batch's trials into ``study_trials``, storing
their outcome, and continuing the study (queueing its next batches, or ending it).

Every transaction that writes a study's batches or trials, or decides from its trial count
(ask, store, fail a batch, continue, pause, extend), first locks the study's row
(``lock_study``: an UPDATE, a row lock on MySQL and the write lock on SQLite), so two batches
never ask the same trial number and no trial is counted twice. The lock comes before any
other statement of the transaction:

* on MySQL a transaction's consistent reads see the snapshot of its first read, which must
  include what the transaction that held the lock before committed;
* one lock order — the study's row, then its batch and trial rows — so two such
  transactions (eight batch Jobs of one study, the reaper failing a batch) queue for the
  study's row and never wait for each other's rows in opposite orders: no InnoDB deadlock.
  (A delivery's RUNNING transition writes its batch's row alone and then only reads: it
  never waits holding a lock.)

Under the lock the rows to change are found by plain (consistent, lock-free) reads and
written by primary key (``UPDATE … WHERE study_id = ? AND number = ?``), never by a locking
range scan: under REPEATABLE READ a range UPDATE or a locking subquery takes next-key locks
on every row and gap it scans — other batches' rows, and the gap where another study's
trials are inserted. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kinds.studies.contract import batch_message
from kinds.studies.sampling import COMPLETE, COUNTED, FAIL, PRUNED, RUNNING, Asked, TrialRow
from store.clock import utcnow
from store.dbapi import Tx, as_tx, stored_datetime
from work.status import RunStatus
from work.transitions import new_item, transition

STUDIES, BATCHES, TRIALS = "studies", "study_batches", "study_trials"
"""The study tables (``store.models.Study``, ``StudyBatch``, ``StudyTrial``)."""

OPEN = (RunStatus.PENDING, RunStatus.RUNNING)
ENDED = (RunStatus.SUCCEEDED, RunStatus.FAILED)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class StudyState:
    """What a decision reads of a study's row."""

    study_id: str
    stored: dict[str, Any]
    status: str
    n_trials: int
    parallelism: int
    paused: bool
    deadline_at: datetime | None
    data_hash: str

    @property
    def finished(self) -> bool:
        return self.status in ENDED

    def past_deadline(self, now: datetime) -> bool:
        return self.deadline_at is not None and now >= self.deadline_at


def lock_study(handle: Any, study_id: str) -> StudyState | None:
    """The study's row, locked until the caller's transaction ends; None if there is none."""
    tx = as_tx(handle)
    tx.execute(f"UPDATE {STUDIES} SET study_id = study_id WHERE study_id = ?", (study_id,))
    row = tx.fetchone(
        "SELECT request_json, status, n_trials, parallelism, paused, deadline_at, data_hash "
        f"FROM {STUDIES} WHERE study_id = ?",
        (study_id,),
    )
    if row is None:
        return None
    return StudyState(
        study_id,
        json.loads(row["request_json"]),
        row["status"],
        int(row["n_trials"]),
        int(row["parallelism"]),
        bool(row["paused"]),
        stored_datetime(row["deadline_at"]),
        row["data_hash"],
    )


_DUE = " AND state = ? AND retried_as IS NULL"
"""A trial due for a retry: FAIL, its params not asked again yet (one argument: FAIL)."""


def _trial_rows(handle: Any, study_id: str, where: str = "", args: tuple = ()) -> list[TrialRow]:
    """The study's trials (``where``: more conditions), in number order."""
    rows = as_tx(handle).fetchall(
        f"SELECT number, state, params_json, values_json, system_attrs_json FROM {TRIALS} "
        f"WHERE study_id = ?{where} ORDER BY number",
        (study_id, *args),
    )
    return [
        TrialRow(
            int(number),
            state,
            json.loads(params),
            json.loads(values) if values else None,
            json.loads(attrs) if attrs else {},
        )
        for number, state, params, values, attrs in rows
    ]


def trial_rows(handle: Any, study_id: str) -> list[TrialRow]:
    """Every trial of the study, in number order."""
    return _trial_rows(handle, study_id)


def due_rows(handle: Any, study_id: str) -> list[TrialRow]:
    """The FAIL trials due for a retry (``retries_due``), in number order."""
    return _trial_rows(handle, study_id, _DUE, (FAIL,))


def json_column(texts: Iterable[str | None]) -> list[Any]:
    """A column of JSON texts (None: null) decoded by one ``json.loads`` of the texts
    joined into a JSON array: many short documents decode far faster at once."""
    return json.loads("[" + ",".join(text or "null" for text in texts) + "]")


def finished_trials(
    handle: Any, study_id: str
) -> list[tuple[bool, dict[str, Any], list[float] | None]]:
    """Each finished trial's (COMPLETE?, params, values), in number order: what a model of
    the finished trials reads (``kinds.studies.sampling.ask_from_columns``). Two columns of one
    query, each decoded by one ``json.loads`` of the column joined into a JSON array."""
    rows = as_tx(handle).fetchall(
        f"SELECT state, params_json, values_json FROM {TRIALS} "
        "WHERE study_id = ? AND state IN (?, ?) ORDER BY number",
        (study_id, COMPLETE, PRUNED),
    )
    params = json_column(row[1] for row in rows)
    values = json_column(row[2] for row in rows)
    return [(row[0] == COMPLETE, p, v) for row, p, v in zip(rows, params, values, strict=True)]


def retries_due(handle: Any, study_id: str) -> list[int]:
    """FAIL trials whose params have not been asked again yet, in number order."""
    rows = as_tx(handle).fetchall(
        f"SELECT number FROM {TRIALS} WHERE study_id = ?{_DUE} ORDER BY number", (study_id, FAIL)
    )
    return [int(number) for (number,) in rows]


def fail_orphans(handle: Any, study_id: str, this_batch: str) -> int:
    """RUNNING trials no Job will finish → FAIL: those of this batch (an earlier delivery of
    it died) and of batches that ended FAILED; how many. (The study locked: found by plain
    reads, written by primary key.)"""
    tx = as_tx(handle)
    dead = [this_batch] + [
        batch
        for (batch,) in tx.fetchall(
            f"SELECT batch_id FROM {BATCHES} WHERE study_id = ? AND status = ?",
            (study_id, RunStatus.FAILED),
        )
    ]
    marks = ", ".join("?" for _ in dead)
    rows = tx.fetchall(
        f"SELECT number FROM {TRIALS} WHERE study_id = ? AND state = ? AND batch_id IN ({marks})",
        (study_id, RUNNING, *dead),
    )
    return fail_trials(tx, study_id, [int(number) for (number,) in rows])


def running_trials(handle: Any, study_id: str) -> list[int]:
    """The numbers of the study's RUNNING trials (a plain read: the study locked)."""
    rows = as_tx(handle).fetchall(
        f"SELECT number FROM {TRIALS} WHERE study_id = ? AND state = ? ORDER BY number",
        (study_id, RUNNING),
    )
    return [int(number) for (number,) in rows]


def fail_trials(handle: Any, study_id: str, numbers: list[int]) -> int:
    """The RUNNING trials ``numbers`` → FAIL, one primary-key UPDATE each (a row lock, no
    gap), in number order; how many were still RUNNING."""
    tx = as_tx(handle)
    now = utcnow()
    return sum(
        tx.execute(
            f"UPDATE {TRIALS} SET state = ?, completed_at = ? "
            "WHERE study_id = ? AND number = ? AND state = ?",
            (FAIL, now, study_id, number, RUNNING),
        )
        for number in sorted(numbers)
    )


def trial_tally(handle: Any, study_id: str) -> tuple[int, int]:
    """(every trial, the trials that count toward the budget) of the study, counted."""
    marks = ", ".join("?" for _ in COUNTED)
    row = as_tx(handle).fetchone(
        f"SELECT COUNT(*) AS total, COUNT(CASE WHEN state IN ({marks}) THEN 1 END) AS counted "
        f"FROM {TRIALS} WHERE study_id = ?",
        (*COUNTED, study_id),
    )
    return (0, 0) if row is None else (int(row["total"] or 0), int(row["counted"] or 0))


def reserved(handle: Any, study_id: str, besides: str = "") -> int:
    """Trials the study's RUNNING batches (but ``besides``) reserved and are asking outside
    the lock (``reserve``): they count toward the budget before they are stored."""
    row = as_tx(handle).fetchone(
        f"SELECT COALESCE(SUM(asking), 0) AS n FROM {BATCHES} "
        "WHERE study_id = ? AND status = ? AND batch_id <> ?",
        (study_id, RunStatus.RUNNING, besides),
    )
    return 0 if row is None else int(row["n"] or 0)


def reserve(handle: Any, batch: str, count: int | None) -> None:
    """Record that ``batch`` is asking ``count`` trials outside the lock (None: it stored
    them, or asks none)."""
    as_tx(handle).execute(f"UPDATE {BATCHES} SET asking = ? WHERE batch_id = ?", (count, batch))


def insert_asked(handle: Any, study_id: str, batch: str, asked: list[Asked]) -> None:
    """Store the asked trials RUNNING for ``batch``; mark each re-asked FAIL trial."""
    tx = as_tx(handle)
    now = utcnow()
    tx.executemany(
        f"INSERT INTO {TRIALS} (study_id, number, batch_id, state, params_json, "
        "system_attrs_json, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (study_id, a.number, batch, RUNNING, _dumps(a.params), _dumps(a.system_attrs), now)
            for a in asked
        ],
    )
    for a in asked:
        if a.retry_of is not None:
            tx.execute(
                f"UPDATE {TRIALS} SET retried_as = ? WHERE study_id = ? AND number = ?",
                (a.number, study_id, a.retry_of),
            )


def evaluated_trials(
    handle: Any, study_id: str, keys: list[str], *, across: bool
) -> dict[str, tuple[str, int, dict[str, Any]]]:
    """``key → (study_id, number, metrics)`` of an evaluated trial (COMPLETE or PRUNED,
    computed by a batch, not copied) with that key: of this study, and with ``across`` of
    every study of the same owner (``created_by``, NULL without auth); per key this study's
    lowest-numbered such trial, else the lowest (study_id, number). One indexed query."""
    if not keys:
        return {}
    tx = as_tx(handle)
    marks = ", ".join("?" for _ in keys)
    scope, arguments = "t.study_id = ?", [study_id]
    if across:
        owner = tx.fetchone(f"SELECT created_by FROM {STUDIES} WHERE study_id = ?", (study_id,))
        creator = None if owner is None else owner["created_by"]
        mine = "s.created_by IS NULL" if creator is None else "s.created_by = ?"
        scope = f"(t.study_id = ? OR {mine})"
        arguments += [] if creator is None else [creator]
    rows = tx.fetchall(
        f"SELECT t.eval_key, t.study_id, t.number, t.metrics_json FROM {TRIALS} t "
        f"JOIN {STUDIES} s ON s.study_id = t.study_id WHERE t.eval_key IN ({marks}) "
        f"AND t.state IN (?, ?) AND t.reused_from IS NULL AND t.metrics_json IS NOT NULL "
        f"AND {scope} ORDER BY CASE WHEN t.study_id = ? THEN 0 ELSE 1 END, t.study_id, t.number",
        (*keys, COMPLETE, PRUNED, *arguments, study_id),
    )
    found: dict[str, tuple[str, int, dict[str, Any]]] = {}
    for key, owner_study, number, metrics in rows:
        found.setdefault(key, (owner_study, int(number), json.loads(metrics)))
    return found


def mark_study_running(handle: Any, study_id: str) -> bool:
    """PENDING → RUNNING when its first batch starts."""
    return transition(handle, STUDIES, "study_id", study_id, (RunStatus.PENDING,),
                      status=RunStatus.RUNNING)  # fmt: skip


def end_study(handle: Any, study_id: str, status: str, error: str | None = None) -> bool:
    """PENDING/RUNNING → SUCCEEDED or FAILED, forward only."""
    return transition(handle, STUDIES, "study_id", study_id, OPEN, status=status,
                      completed_at=utcnow(), error_message=error)  # fmt: skip


def store_trial(
    handle: Any,
    study_id: str,
    batch: str,
    number: int,
    state: str,
    values: list[float] | None,
    metrics: dict[str, Any] | None,
    eval_key: str | None = None,
    reused_from: str | None = None,
) -> bool:
    """A RUNNING trial of ``batch`` → ``state`` with its values and metrics (and its
    ``kinds.studies.reuse`` key and source); False when it was no longer this batch's
    RUNNING trial."""
    return (
        as_tx(handle).execute(
            f"UPDATE {TRIALS} SET state = ?, values_json = ?, metrics_json = ?, completed_at = ?, "
            "eval_key = ?, reused_from = ? "
            "WHERE study_id = ? AND number = ? AND batch_id = ? AND state = ?",
            (
                state,
                None if values is None else _dumps(values),
                None if metrics is None else _dumps(metrics),
                utcnow(),
                eval_key,
                reused_from,
                study_id,
                number,
                batch,
                RUNNING,
            ),
        )
        == 1
    )


def store_importances(handle: Any, study_id: str, found: dict[str, float] | None) -> None:
    """The study's parameter importances as of now (None: not enough trials yet)."""
    as_tx(handle).execute(
        f"UPDATE {STUDIES} SET importances_json = ? WHERE study_id = ?",
        (None if found is None else _dumps(found), study_id),
    )


def complete_metrics(handle: Any, study_id: str) -> list[dict[str, Any]]:
    """Every COMPLETE trial's metrics, in number order."""
    rows = as_tx(handle).fetchall(
        f"SELECT metrics_json FROM {TRIALS} WHERE study_id = ? AND state = ? ORDER BY number",
        (study_id, COMPLETE),
    )
    return [json.loads(metrics) if metrics else {} for (metrics,) in rows]


def trial_of(handle: Any, study_id: str, number: int) -> tuple[dict, dict] | None:
    """Trial ``number``'s (params, metrics), or None when the study has no such trial."""
    row = as_tx(handle).fetchone(
        f"SELECT params_json, metrics_json FROM {TRIALS} WHERE study_id = ? AND number = ?",
        (study_id, number),
    )
    if row is None:
        return None
    return json.loads(row["params_json"]), json.loads(row["metrics_json"] or "{}")


def stored_deflated(handle: Any, study_id: str) -> dict[str, Any] | None:
    """The deflated Sharpe ratio of the study's best trial as last stored (None: not yet)."""
    row = as_tx(handle).fetchone(
        f"SELECT deflated_json FROM {STUDIES} WHERE study_id = ?", (study_id,)
    )
    return None if row is None or not row["deflated_json"] else json.loads(row["deflated_json"])


def store_deflated(handle: Any, study_id: str, found: dict[str, Any]) -> None:
    """The deflated Sharpe ratio of the study's best trial as of now (``kinds.studies.
    deflated``), or why there is none."""
    as_tx(handle).execute(
        f"UPDATE {STUDIES} SET deflated_json = ? WHERE study_id = ?",
        (json.dumps(found, allow_nan=False, separators=(",", ":")), study_id),
    )


def _batches(tx: Tx, study_id: str) -> tuple[int, int]:
    """(open batches, the highest batch number) of the study."""
    row = tx.fetchone(
        f"SELECT COUNT(CASE WHEN status IN (?, ?) THEN 1 END) AS open, MAX(batch_no) AS top "
        f"FROM {BATCHES} WHERE study_id = ?",
        (*OPEN, study_id),
    )
    if row is None:
        return 0, -1
    return int(row["open"] or 0), -1 if row["top"] is None else int(row["top"])


def insert_batches(handle: Any, study_id: str, first: int, count: int, queue: str) -> list[dict]:
    """``count`` PENDING batches numbered from ``first``; their messages."""
    tx = as_tx(handle)
    messages = [batch_message(study_id, first + k) for k in range(count)]
    pending = new_item(queue)
    columns = ("batch_id", "study_id", "batch_no", "payload_json", *pending)
    tx.executemany(
        f"INSERT INTO {BATCHES} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [(m["batch_id"], study_id, m["batch_no"], _dumps(m), *pending.values()) for m in messages],
    )
    return messages


def continue_study(handle: Any, study_id: str, queue: str) -> list[dict]:
    """After a batch ended (or the study was resumed or extended): while trials remain, the
    study is not paused and its time budget not spent, top its open batches up to its
    ``parallelism`` (PENDING rows: the caller, or the reaper, queues them); with no batch
    open and nothing left to do, end it SUCCEEDED. The messages of the new batches."""
    tx = as_tx(handle)
    study = lock_study(tx, study_id)
    if study is None or study.finished:
        return []
    open_batches, top = _batches(tx, study_id)
    remaining = study.n_trials - trial_tally(tx, study_id)[1] - reserved(tx, study_id)
    stopped = study.past_deadline(utcnow())
    if remaining > 0 and not stopped and not study.paused:
        size = int(study.stored["batch_size"])
        wanted = min(study.parallelism, -(-remaining // size)) - open_batches
        if wanted > 0:
            return insert_batches(tx, study_id, top + 1, wanted, queue)
        return []
    if open_batches == 0 and (remaining <= 0 or stopped):
        end_study(tx, study_id, RunStatus.SUCCEEDED)
    return []


def open_batch_messages(handle: Any, study_id: str) -> list[dict]:
    """The stored messages of the study's PENDING batches (to queue them)."""
    rows = as_tx(handle).fetchall(
        f"SELECT payload_json FROM {BATCHES} WHERE study_id = ? AND status = ? ORDER BY batch_no",
        (study_id, RunStatus.PENDING),
    )
    return [json.loads(message) for (message,) in rows]


def batch_queue(handle: Any, batch: str) -> str | None:
    """The queue a batch went to."""
    row = as_tx(handle).fetchone(f"SELECT queue FROM {BATCHES} WHERE batch_id = ?", (batch,))
    return None if row is None else row["queue"]
