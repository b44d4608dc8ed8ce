"""``python -m consumer.retention``: delete finished runs older than RESULT_RETENTION_DAYS
(a daily CronJob, k8s/base/retention-cronjob.yaml).

RESULT_RETENTION_DAYS=0 (the default) keeps every run forever and the pass does nothing.
Otherwise every SUCCEEDED, FAILED or CANCELLED run created more than that many days ago is
deleted with its stored result, unless it is pinned (``PATCH /api/runs/<id>`` with
``{"pinned": true}``). PENDING and RUNNING runs are never touched (the reaper owns them);
sweeps are not cleaned here. Deletes go in batches of ``BATCH`` rows, one transaction each,
so a large backlog never holds a long lock.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config import process
from kinds.runs.store import delete_expired_runs
from store.models import utcnow
from work.logs import configure_logging

logger = logging.getLogger("consumer.retention")

BATCH = 500
"""Runs deleted per transaction."""


def retention_days(environ: dict[str, str] | None = None) -> int:
    """RESULT_RETENTION_DAYS: days a finished run is kept; 0 (or unset) keeps them forever.

    :raise ValueError: not a whole number of days >= 0.
    """
    return process.RESULT_RETENTION_DAYS.value(environ)


def purge(sessions: sessionmaker[Session], days: int, *, now: datetime | None = None) -> int:
    """Delete the finished, unpinned runs created more than ``days`` days before ``now``
    (default: the present); the number deleted. ``days`` 0 deletes nothing."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    deleted = 0
    while True:
        with sessions.begin() as session:
            batch = delete_expired_runs(session, cutoff, limit=BATCH)
        deleted += batch
        if batch < BATCH:
            return deleted


def main() -> int:
    """CronJob entry point: exit 0 after a pass, 1 on a bad setting or a database error."""
    from store.db import process_sessionmaker

    configure_logging()
    try:
        days = retention_days()
        if days == 0:
            logger.info("RESULT_RETENTION_DAYS is 0: every run is kept")
            return 0
        deleted = purge(process_sessionmaker(), days)
    except Exception:
        logger.exception("retention pass failed")
        return 1
    logger.info("retention pass: deleted %d finished runs older than %d days", deleted, days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
