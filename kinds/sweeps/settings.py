"""The sweep kind's own settings (``WorkKind.settings`` of ``kinds.sweeps.kind.CHUNK``):
declared here, beside the code they tune, and read by config's one reader of the
environment (``config.process.Variable``); the web puts them into its config by name
(``web.create_app``), where a walk-forward's sweeps read them too.
"""

from __future__ import annotations

from config.process import Variable, positive_int

SWEEP_MAX_PENDING_CHUNKS = Variable(
    "SWEEP_MAX_PENDING_CHUNKS",
    positive_int,
    6000,
    "chunks the sweep queue may hold; a sweep past it is a 429",
)
SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT = Variable(
    "SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT",
    positive_int,
    3000,
    "chunks one client may have waiting on the sweep queue (half the queue); past it a 429",
)
SWEEP_CHUNK_SIZE: Variable[int | None] = Variable(
    "SWEEP_CHUNK_SIZE", int, None, "combinations per sweep chunk; unset: 1,000"
)

SETTINGS = (SWEEP_MAX_PENDING_CHUNKS, SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT, SWEEP_CHUNK_SIZE)
"""Every setting of the sweep kind."""
