"""Queue entries no job can be made of, moved aside one at a time so they never block anything.

A queue is a trust boundary: anybody with Redis access can ``RPUSH rq:queue:<q> "a b"`` (an
id RQ refuses), corrupt a job hash (a ``created_at``, ``timeout``, ``status`` or
``retries_left`` RQ cannot parse, data that is not JSON) or queue a function we never
registered. RQ raises on such an entry in every dequeue and every registry cleanup, so left
in place one entry would stop all recovery. And RQ resolves more names than the job's
function: a job hash may name callbacks (``success_callback_name``, ``failure_callback_name``,
``stopped_callback_name``: imported and called), webhooks (requests sent), dependencies and
dependents (jobs queued when it ends), repeats. ``problem_of`` says what is wrong with an
entry — anything in it we did not write (``problem_of_job``) — and ``quarantine`` moves it
aside:

* the id leaves the queue list, the intermediate list and the queue's registries;
* its job hash, if any, is renamed to ``rq:quarantine:job:<id>`` (kept ``failure_ttl()``;
  its set of dependents, if any, to ``rq:quarantine:job:<id>:dependents``), so RQ no
  longer sees it and an item with that id is queued again from the database (the
  database decides what runs): at once by a consumer that refused it
  (``requeue_named_item``), else by the reaper;
* a JSON record ``{"id", "source", "reason", "at"}`` is pushed on ``rq:quarantine:<queue>``
  (newest first, at most ``QUARANTINE_KEEP``): ``redis-cli LRANGE rq:quarantine:backtests
  0 -1`` shows what was moved and why;
* one WARNING log line names it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from rq import Queue
from rq.job import Job, parse_job_id, validate_job_id
from rq.registry import StartedJobRegistry

from kinds.registry import all_kinds, kind_of
from store.dbapi import process_database
from work.kind import REQUEUED, requeue_waiting
from work.queue import OUR_META, backtest_queue, failure_ttl
from work.untrusted import InertJob, data_problem, unlist

logger = logging.getLogger("consumer.quarantine")

QUARANTINE_PREFIX = "rq:quarantine:"
QUARANTINE_KEEP = 1000
"""Records kept per queue: a flood of hostile entries cannot grow Redis without bound."""
SCAN_BATCH = 500
"""Job hashes read per pipeline round trip while scanning a list."""


def quarantine_key(queue_name: str) -> str:
    """The list of quarantine records of a queue, e.g. ``rq:quarantine:backtests``."""
    return QUARANTINE_PREFIX + queue_name


def quarantined_job_key(job_id: str) -> str:
    """Where a quarantined entry's job hash is kept."""
    return f"{QUARANTINE_PREFIX}job:{job_id}"


def _problem_of_hash(
    job_id: str, raw: dict | None, queue: Queue, has_dependents: bool | None = None
) -> str | None:
    if not raw:
        return None  # no hash: RQ skips the id and its cleanup drops it
    try:
        job = InertJob(job_id, connection=queue.connection, serializer=queue.serializer)
        job.restore(raw)
    except Exception as exc:
        return f"job hash cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
    return problem_of_job(job, has_dependents=has_dependents)


def _foreign_parts(job: Job) -> list[str]:
    """What RQ read from the job hash (``Job.restore``) that our enqueue never writes: every
    name RQ would resolve or call besides the function, and meta fields we do not set. Read
    from the restored attributes, never through a property that imports a name."""
    parts = [
        f"{name} callback {value[:100]!r}"
        for name, value in (
            ("success", job._success_callback_name),
            ("failure", job._failure_callback_name),
            ("stopped", job._stopped_callback_name),
        )
        if value
    ]
    timeouts = (
        job._success_callback_timeout,
        job._failure_callback_timeout,
        job._stopped_callback_timeout,
    )
    if any(timeout is not None for timeout in timeouts):
        parts.append("callback timeouts")
    if job._dependency_ids:
        parts.append(f"dependencies {[str(d)[:50] for d in job._dependency_ids[:5]]}")
    if job.allow_dependency_failures is not None:
        parts.append("allow_dependency_failures")
    if job.webhooks:
        parts.append("webhooks")
    if job.repeats_left is not None or job.repeat_intervals is not None:
        parts.append("repeats")
    if job.group_id:
        parts.append(f"group {job.group_id[:50]!r}")
    meta = job.meta if isinstance(job.meta, dict) else {"": job.meta}
    foreign_meta = sorted(str(key)[:50] for key in meta if key not in OUR_META)
    if foreign_meta:
        parts.append(f"meta {foreign_meta[:5]}")
    return parts


def _problem_of_data(job: Job, function: str) -> str | None:
    """The data we write: the function, no instance, one JSON object as the only argument,
    no keyword arguments, and the object names the job's own id as its item."""
    kind = kind_of(function)
    if kind is None:
        return f"job function {str(function)[:200]!r} is not a registered kind of work"
    args, kwargs = job.args, job.kwargs
    if job.instance is not None or kwargs or not isinstance(args, list | tuple) or len(args) != 1:
        return "job data is not one JSON object as its only argument"
    if not isinstance(args[0], dict):
        return f"job argument is {type(args[0]).__name__}, not a JSON object"
    named = kind.item_id(args[0])
    if named != job.id:
        return f"job payload names {kind.id_field} {named[:100]!r}, not the job's own id"
    return None


def problem_of_job(job: Job, *, has_dependents: bool | None = None) -> str | None:
    """Why a fetched job must not be executed: its data (function and arguments) cannot be
    deserialised; its function is no registered kind of work (``kinds.registry``: a
    consumer executes only the job functions we register); its data is not one JSON object
    naming the job's own id; or it carries anything else we never write — callbacks,
    dependencies or dependents, webhooks, repeats, a group, meta beyond ``OUR_META``. None
    when it may run. Checked before RQ resolves a single name of it. ``has_dependents``:
    whether ``rq:job:<id>:dependents`` exists (asked of Redis when None)."""
    problem = data_problem(job) or _problem_of_data(job, job.func_name)
    if problem is not None:
        return problem
    parts = _foreign_parts(job)
    if has_dependents is None:
        has_dependents = bool(job.connection.exists(job.dependents_key))
    if has_dependents:
        parts.append("dependents")
    if parts:
        return f"job carries what we never write: {', '.join(parts)}"
    return None


def _problem_of_id(entry: str) -> str | None:
    try:
        validate_job_id(parse_job_id(entry))  # RQ's own check: letters, digits, _ and -
    except (TypeError, ValueError) as exc:
        return f"id RQ cannot use ({exc})"
    return None


def problem_of(queue: Queue, entry: str) -> str | None:
    """Why ``entry`` (an id as stored in a list or registry) cannot be dequeued, cleaned up
    or executed; None when RQ can handle it (a missing hash is fine: RQ skips it)."""
    return _problem_of_id(entry) or _problem_of_hash(
        parse_job_id(entry), queue.connection.hgetall(Job.key_for(parse_job_id(entry))), queue
    )


def quarantine(queue: Queue, entry: str, reason: str, source: str) -> None:
    """Move ``entry`` out of every list and registry of ``queue`` and its job hash aside;
    record it on ``quarantine_key(queue.name)`` and log it."""
    connection = queue.connection
    job_id = parse_job_id(entry)
    hash_key = Job.key_for(job_id)
    record = {
        "id": entry[:200],
        "source": source,
        "reason": reason,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with connection.pipeline() as pipe:
        unlist(pipe, queue, entry, job_id)
        pipe.lpush(quarantine_key(queue.name), json.dumps(record))
        pipe.ltrim(quarantine_key(queue.name), 0, QUARANTINE_KEEP - 1)
        pipe.execute()
    for key, aside in (
        (hash_key, quarantined_job_key(job_id)),
        (Job.dependents_key_for(job_id), quarantined_job_key(job_id) + ":dependents"),
    ):
        if connection.exists(key):
            connection.rename(key, aside)
            connection.expire(aside, failure_ttl())
    logger.warning(
        "quarantined queue entry %r from %s: %s (LRANGE %s 0 -1)",
        record["id"],
        source,
        reason,
        quarantine_key(queue.name),
    )


def quarantined(queue: Queue) -> list[dict]:
    """The quarantine records of ``queue``, newest first."""
    raw = queue.connection.lrange(quarantine_key(queue.name), 0, -1)
    return [json.loads(item) for item in raw]


def _scan(queue: Queue, entries: Iterable[str], source: str) -> list[str]:
    bad_ids = []
    pending = []
    for entry in entries:
        reason = _problem_of_id(entry)
        if reason:
            quarantine(queue, entry, reason, source)
            bad_ids.append(entry)
        else:
            pending.append(entry)
    for first in range(0, len(pending), SCAN_BATCH):
        batch = pending[first : first + SCAN_BATCH]
        with queue.connection.pipeline() as pipe:
            for entry in batch:
                pipe.hgetall(Job.key_for(parse_job_id(entry)))
                pipe.exists(Job.dependents_key_for(parse_job_id(entry)))
            replies = pipe.execute()
        for entry, raw, dependents in zip(batch, replies[::2], replies[1::2], strict=True):
            reason = _problem_of_hash(parse_job_id(entry), raw, queue, bool(dependents))
            if reason:
                quarantine(queue, entry, reason, source)
                bad_ids.append(entry)
    return bad_ids


def _text(values: Iterable[bytes | str]) -> list[str]:
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]


def quarantine_bad_entries(queue: Queue, *, whole_queue: bool = True) -> list[str]:
    """Scan what RQ's dequeue and cleanup read — the queue list (when ``whole_queue``), the
    intermediate list and the started registry of ``queue`` — and quarantine each bad
    entry. The consumer skips the queue list (it checks the one entry it dequeues; a scan of
    a long list would cost every Job); the reaper scans it all. Returns the entries moved."""
    connection = queue.connection
    keys = (
        (queue.key, queue.intermediate_queue_key)
        if whole_queue
        else (queue.intermediate_queue_key,)
    )
    moved = []
    for key in keys:
        moved += _scan(queue, dict.fromkeys(_text(connection.lrange(key, 0, -1))), key)
    started = StartedJobRegistry(queue.name, connection=connection)
    moved += _scan(queue, _text(connection.zrange(started.key, 0, -1)), started.key)
    return moved


def requeue_named_item(queue: Queue, entry: str) -> str | None:
    """After a consumer refused ``entry``: queue again, from the database, the item of a
    registered kind its id names, when that item is PENDING or RUNNING — on the item's own
    queue, with its stored message (``work.kind.requeue_waiting``, the reaper's recovery) —
    so a hand-made entry reusing an item's id does not leave the item waiting for the
    reaper's grace. Nothing is queued when a job with that id still exists (a duplicate
    skipped while its job runs). Best effort: a failure is logged, the reaper is the
    backstop. Returns the kind's name when it queued the item."""
    if _problem_of_id(entry) is not None:
        return None
    item_id = parse_job_id(entry)
    database = process_database()
    try:
        for kind in all_kinds():
            with database.transaction() as tx:
                item = kind.get(tx, item_id)
            if item is None:
                continue
            target = backtest_queue(
                queue.connection, item.queue or queue.name, job_class=queue.job_class
            )
            outcome = requeue_waiting(kind, target, database.transaction, item_id)
            logger.warning("the %s named by refused entry %r: %s", kind.name, entry, outcome)
            return kind.name if outcome == REQUEUED else None
    except Exception:
        logger.exception("could not queue again the item named by %r; the reaper will", entry)
    return None
