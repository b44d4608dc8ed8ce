"""A sweep's derived status: the work-item states of its chunks (``work.status``) plus
PARTIAL. A sweep row has no status column; ``kinds.sweeps.store.derive_state`` computes it."""

from __future__ import annotations

from enum import StrEnum

from work.status import RunStatus


class SweepStatus(StrEnum):
    """A sweep's status; compares and serialises as its string (the API's ``status``)."""

    PENDING = RunStatus.PENDING.value
    RUNNING = RunStatus.RUNNING.value
    SUCCEEDED = RunStatus.SUCCEEDED.value
    FAILED = RunStatus.FAILED.value
    PARTIAL = "PARTIAL"
    """Finished, some chunks SUCCEEDED and some FAILED."""


PARTIAL = SweepStatus.PARTIAL

SWEEP_STATUSES: tuple[SweepStatus, ...] = tuple(SweepStatus)
"""Every sweep status, in lifecycle order."""

SWEEP_FINISHED: frozenset[SweepStatus] = frozenset(
    {SweepStatus.SUCCEEDED, SweepStatus.FAILED, SweepStatus.PARTIAL}
)
"""The statuses of a sweep none of whose chunks can still change."""
