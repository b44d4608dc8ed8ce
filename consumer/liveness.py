"""The database heartbeat: how a consumer tells the reaper that the item it runs is alive.

MySQL is the source of truth, so the liveness the reaper trusts is there too, not in Redis
(which may restart empty while a consumer computes). While its forked work-horse runs an
item, the consumer's parent process stamps the row's ``heartbeat_at`` every
RQ_JOB_MONITORING_INTERVAL (``beat``: one short transaction of its own, guarded by the
item's id, RUNNING and the delivery's worker name; a failure is logged, never fatal). The
reaper never requeues or fails a RUNNING item whose heartbeat is younger than
``heartbeat_stale()`` (``HEARTBEAT_MISSES`` intervals), whatever Redis says: only an item
whose consumer stopped beating is recovered.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from config import process
from store.dbapi import process_database
from work.kind import WorkKind

logger = logging.getLogger("consumer.liveness")

HEARTBEAT_MISSES = 3
"""Beats an item may miss before the reaper calls it stale (a DB blip or a slow beat costs
one or two; a dead consumer misses them all)."""


def monitoring_interval() -> int:
    """RQ_JOB_MONITORING_INTERVAL (s, default 10): how often the parent heartbeats (to
    Redis and to the database) while the work-horse runs. A pod that dies is detected as
    abandoned by RQ ~this + ``heartbeat_margin()`` later, by the database heartbeat
    ``heartbeat_stale()`` later."""
    return process.RQ_JOB_MONITORING_INTERVAL.value()


def heartbeat_margin() -> int:
    """RQ_HEARTBEAT_MARGIN (s, default 60, RQ's own): how long past its next beat's due time
    a started item stays in RQ's started registry before RQ's cleanup calls it abandoned
    (retried once, else failed). A live consumer is never late by that much (its parent
    only waits on the work-horse between beats); a dead one's item is recovered that much
    sooner with a smaller value."""
    return process.RQ_HEARTBEAT_MARGIN.value()


def heartbeat_stale() -> timedelta:
    """How old an item's last database heartbeat must be before the reaper may recover it
    (``HEARTBEAT_MISSES`` × RQ_JOB_MONITORING_INTERVAL: 30 s by default)."""
    return timedelta(seconds=HEARTBEAT_MISSES * monitoring_interval())


def beat(kind: WorkKind, item_id: str, worker: str) -> bool:
    """Stamp the item's heartbeat if it is still RUNNING under ``worker``; False if it is
    not (finished, or started again by another delivery) or the database refused (logged:
    the next beat tries again)."""
    try:
        with process_database().transaction() as tx:
            return kind.heartbeat(tx, item_id, worker)
    except Exception:
        logger.warning("could not write the %s's heartbeat; next beat", kind.name, exc_info=True)
        return False
