"""``python -m consumer.retention``: delete finished items older than RESULT_RETENTION_DAYS
(a daily CronJob, k8s/base/retention-cronjob.yaml), of every registered kind that expires
its items (``WorkKind.expire``: runs; sweeps are not cleaned).

RESULT_RETENTION_DAYS=0 (the default) keeps everything forever and the pass does nothing.
Otherwise every SUCCEEDED, FAILED or CANCELLED item created more than that many days ago is
deleted with its stored result, unless it is pinned (a run: ``PATCH /api/runs/<id>`` with
``{"pinned": true}``). PENDING and RUNNING items are never touched (the reaper owns them).
Deletes go in batches of ``BATCH`` rows, one transaction each, so a large backlog never
holds a long lock.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from config import process
from kinds.registry import all_kinds
from store.models import utcnow
from work.logs import configure_logging

logger = logging.getLogger("consumer.retention")

BATCH = 500
"""Items deleted per transaction."""


def retention_days(environ: dict[str, str] | None = None) -> int:
    """RESULT_RETENTION_DAYS: days a finished run is kept; 0 (or unset) keeps them forever.

    :raise ValueError: not a whole number of days >= 0.
    """
    return process.RESULT_RETENTION_DAYS.value(environ)


def purge(sessions: sessionmaker[Session], days: int, *, now: datetime | None = None) -> int:
    """Delete the finished, unpinned items of every kind that expires its items, created
    more than ``days`` days before ``now`` (default: the present); the number deleted.
    ``days`` 0 deletes nothing."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    deleted = 0
    for kind in all_kinds():
        if kind.expire is None:
            continue
        while True:
            with sessions.begin() as session:
                batch = kind.expire(session, cutoff, BATCH)
            deleted += batch
            if batch < BATCH:
                break
    return deleted


def main() -> int:
    """CronJob entry point: exit 0 after a pass, 1 on a bad setting or a database error."""
    from store.db import process_sessionmaker

    configure_logging()
    try:
        days = retention_days()
        if days == 0:
            logger.info("RESULT_RETENTION_DAYS is 0: everything is kept")
            return 0
        deleted = purge(process_sessionmaker(), days)
    except Exception:
        logger.exception("retention pass failed")
        return 1
    logger.info("retention pass: deleted %d finished items older than %d days", deleted, days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
