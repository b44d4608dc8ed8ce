"""The clock of stored timestamps: naive UTC datetimes, what the DATETIME columns hold.

Its own module so that a Job's plain statements (``store.dbapi``) and the SQLAlchemy models
share one clock without the Job importing SQLAlchemy.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as a naive UTC datetime (what the DATETIME columns hold)."""
    return datetime.now(UTC).replace(tzinfo=None)
