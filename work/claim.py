"""The claim file: touched the moment a consumer has taken its run from the queue.

The Job's readiness probe is ``test -f $CLAIM_FILE``; with KEDA's
``pendingPodConditions: ["Ready"]`` a pod counts as pending until it has claimed its run,
so KEDA does not start a duplicate Job for a run that is still in the list. The local
scaler gives each consumer its own CLAIM_FILE and reads it the same way.
"""

from __future__ import annotations

from pathlib import Path

from config import process

DEFAULT_CLAIM_FILE = process.CLAIM_FILE.default


def claim_file() -> Path:
    """CLAIM_FILE, default /tmp/consumer-claimed."""
    return Path(process.CLAIM_FILE.value())


def mark_claimed() -> None:
    """Touch the claim file (its directory must exist; /tmp does in every image)."""
    claim_file().touch()
