"""Queue entries no job can be made of, moved aside one at a time so they never block anything.

A queue is a trust boundary: anybody with Redis access can ``RPUSH rq:queue:<q> "a b"`` (an
id RQ refuses), corrupt a job hash (a ``created_at``, ``timeout``, ``status`` or
``retries_left`` RQ cannot parse, data that is not JSON) or queue a function we never
registered. RQ raises on such an entry in every dequeue and every registry cleanup, so left
in place one entry would stop all recovery. ``problem_of`` says what is wrong with an entry;
``quarantine`` moves it aside:

* the id leaves the queue list, the intermediate list and the queue's registries;
* its job hash, if any, is renamed to ``rq:quarantine:job:<id>`` (kept ``failure_ttl()``),
  so RQ no longer sees it and an item with that id is queued again from the database by
  the reaper (the database decides what runs);
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
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)

from kinds.registry import kind_of
from work.queue import failure_ttl

logger = logging.getLogger("consumer.quarantine")

QUARANTINE_PREFIX = "rq:quarantine:"
QUARANTINE_KEEP = 1000
"""Records kept per queue: a flood of hostile entries cannot grow Redis without bound."""
SCAN_BATCH = 500
"""Job hashes read per pipeline round trip while scanning a list."""

_REGISTRIES = (
    StartedJobRegistry,
    FinishedJobRegistry,
    FailedJobRegistry,
    DeferredJobRegistry,
    ScheduledJobRegistry,
    CanceledJobRegistry,
)


def quarantine_key(queue_name: str) -> str:
    """The list of quarantine records of a queue, e.g. ``rq:quarantine:backtests``."""
    return QUARANTINE_PREFIX + queue_name


def quarantined_job_key(job_id: str) -> str:
    """Where a quarantined entry's job hash is kept."""
    return f"{QUARANTINE_PREFIX}job:{job_id}"


def _problem_of_hash(job_id: str, raw: dict | None, queue: Queue) -> str | None:
    if not raw:
        return None  # no hash: RQ skips the id and its cleanup drops it
    try:
        job = Job(job_id, connection=queue.connection, serializer=queue.serializer)
        job.restore(raw)
    except Exception as exc:
        return f"job hash cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
    return problem_of_job(job)


def problem_of_job(job: Job) -> str | None:
    """Why a fetched job must not be executed: its data (function and arguments) cannot be
    deserialised, or its function is no registered kind of work (``kinds.registry``): a
    consumer executes only the job functions we register. None when it may run."""
    try:
        function = job.func_name
    except Exception as exc:
        return f"job data cannot be deserialised ({type(exc).__name__}: {str(exc)[:200]})"
    if kind_of(function) is None:
        return f"job function {str(function)[:200]!r} is not a registered kind of work"
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
        pipe.lrem(queue.key, 0, entry)
        pipe.lrem(queue.intermediate_queue_key, 0, entry)
        for registry in _REGISTRIES:
            key = registry(queue.name, connection=connection).key
            pipe.zrem(key, entry, job_id)
        pipe.lpush(quarantine_key(queue.name), json.dumps(record))
        pipe.ltrim(quarantine_key(queue.name), 0, QUARANTINE_KEEP - 1)
        pipe.execute()
    if connection.exists(hash_key):
        connection.rename(hash_key, quarantined_job_key(job_id))
        connection.expire(quarantined_job_key(job_id), failure_ttl())
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
            hashes = pipe.execute()
        for entry, raw in zip(batch, hashes, strict=True):
            reason = _problem_of_hash(parse_job_id(entry), raw, queue)
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
