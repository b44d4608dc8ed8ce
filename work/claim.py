"""The claim file: touched the moment a consumer has taken its run from the queue.

The Job's readiness probe is ``test -f $CLAIM_FILE``; with KEDA's
``pendingPodConditions: ["Ready"]`` a pod counts as pending until it has claimed its run,
so KEDA does not start a duplicate Job for a run that is still in the list. The local
scaler gives each consumer its own CLAIM_FILE and reads it the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CLAIM_FILE = "/tmp/consumer-claimed"


def claim_file() -> Path:
    """CLAIM_FILE, default /tmp/consumer-claimed."""
    return Path(os.environ.get("CLAIM_FILE") or DEFAULT_CLAIM_FILE)


def mark_claimed() -> None:
    """Touch the claim file (its directory must exist; /tmp does in every image)."""
    claim_file().touch()
