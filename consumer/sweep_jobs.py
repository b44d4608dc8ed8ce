"""``consumer.sweep_jobs.run_chunk``: the dotted name every queued sweep chunk calls
(``kinds.sweeps.kind``).

Queued messages name their function, so this path stays importable for as long as chunks
may be queued under it (an older consumer image resolves it too); the chunk kind lives in
``kinds.sweeps.kind``.
"""

from __future__ import annotations

from kinds.sweeps.kind import run_chunk

__all__ = ["run_chunk"]
