"""The sweep kind's own settings (``WorkKind.settings`` of ``kinds.sweeps.kind.CHUNK``):
declared here, beside the code they tune, and read by config's one reader of the
environment (``config.process.Variable``); the web puts them into its config by name
(``web.create_app``), where a walk-forward's sweeps read them too.

``REQUEST_MAX_COMBINATIONS`` and ``REQUEST_MAX_CHUNKS`` cap what one sweep or walk-forward
request may buy (``kinds.sweeps.caps``); their defaults let through every request a sweep's
grid limit (``kinds.sweeps.grid.MAX_COMBOS``) lets through, and only a walk-forward's
folds × combinations beyond it are refused. A sweep of more than ``SWEEP_COMPACT_ABOVE``
combinations is stored compactly (``kinds.sweeps.compact``) and held to
``SWEEP_MAX_COMBINATIONS`` instead.
"""

from __future__ import annotations

from config.process import Variable, positive_int
from kinds.sweeps.grid import MAX_COMBOS, MAX_COMPACT_COMBOS

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
REQUEST_MAX_COMBINATIONS = Variable(
    "REQUEST_MAX_COMBINATIONS",
    positive_int,
    MAX_COMBOS,
    "combinations one sweep or walk-forward evaluates (and result rows it stores) over all "
    "its tickers and folds",
)
REQUEST_MAX_CHUNKS = Variable(
    "REQUEST_MAX_CHUNKS",
    positive_int,
    2100,
    "chunks (queue messages, consumer Jobs) one sweep or walk-forward is cut into",
)
"""Default 2,100: a request at the default combination cap cut into the smallest chunks
(100,000 / 50 = 2,000), plus one part-filled chunk per ticker (at most 20) or fold (at most
50), fits."""

SWEEP_COMPACT_ABOVE = Variable(
    "SWEEP_COMPACT_ABOVE",
    positive_int,
    MAX_COMBOS,
    "combinations above which a sweep is stored compactly (the best SWEEP_COMPACT_TOP_K by "
    "each metric as rows, every combination's Sharpe ratio in its chunk's blob); at or "
    "below it, one row per combination",
)
SWEEP_COMPACT_TOP_K = Variable(
    "SWEEP_COMPACT_TOP_K",
    positive_int,
    100,
    "result rows a compactly stored sweep's chunk keeps per metric: its best K by each",
)
SWEEP_COMPACT_PBO_COMBINATIONS = Variable(
    "SWEEP_COMPACT_PBO_COMBINATIONS",
    positive_int,
    50_000,
    "about how many combinations of a compactly stored sweep keep their block statistics "
    "(every n-th by combo_no): the ones its PBO is computed on",
)


def _compact_combinations(text: str) -> int:
    """A whole number from 1 to ``MAX_COMPACT_COMBOS``.

    :raise ValueError: anything else.
    """
    value = positive_int(text)
    if value > MAX_COMPACT_COMBOS:
        raise ValueError(f"must be at most {MAX_COMPACT_COMBOS:,}: {text!r}")
    return value


SWEEP_MAX_COMBINATIONS = Variable(
    "SWEEP_MAX_COMBINATIONS",
    _compact_combinations,
    MAX_COMBOS,
    f"combinations one sweep stored compactly may run over all its tickers (at most "
    f"{MAX_COMPACT_COMBOS:,}); at its default no sweep is stored compactly",
)
"""Default 100,000 (= SWEEP_COMPACT_ABOVE): large sweeps are switched on by raising it (to
10,000,000, ``kinds.sweeps.grid.MAX_COMPACT_COMBOS``, at most), so a deployment that does not
is refused what it was refused before."""

SETTINGS = (
    SWEEP_MAX_PENDING_CHUNKS,
    SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT,
    SWEEP_CHUNK_SIZE,
    REQUEST_MAX_COMBINATIONS,
    REQUEST_MAX_CHUNKS,
    SWEEP_COMPACT_ABOVE,
    SWEEP_COMPACT_TOP_K,
    SWEEP_COMPACT_PBO_COMBINATIONS,
    SWEEP_MAX_COMBINATIONS,
)
"""Every setting of the sweep kind."""
