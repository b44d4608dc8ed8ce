"""The states of a queued work item (a run, a sweep chunk, …): one ``str`` Enum for Python,
the database columns and the JSON API, whose clients (the dashboard's JavaScript included)
read these exact strings.

An item only moves forward: PENDING → RUNNING → SUCCEEDED | FAILED, or PENDING → CANCELLED
(a run cancelled while it waited in the queue; a started one cannot be cancelled).
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """The stored state of one queued work item; compares and serialises as its string."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    """Cancelled while PENDING: never run (its queue message was removed, and a Job that
    took it anyway refuses the guarded PENDING → RUNNING transition)."""


ALL_STATUSES: tuple[RunStatus, ...] = tuple(RunStatus)
"""Every state, in lifecycle order."""

FINISHED: frozenset[RunStatus] = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
)
"""The final states: nothing moves an item out of them."""
