"""A long-short book from a ranking: the top N tickers long, the bottom N short, sized to
gross and net exposure targets (pure numpy)."""

from __future__ import annotations

import numpy as np

from engine.portfolio.risk import DEFAULT_LOOKBACK
from engine.portfolio.weights import target_weights


def long_short_weights(
    eligible: np.ndarray,
    scores: np.ndarray,
    *,
    top_n: int,
    short_n: int,
    gross: float = 2.0,
    net: float = 0.0,
    weighting: str = "equal",
    rows: np.ndarray | None = None,
    close: np.ndarray | None = None,
    lookback: int = DEFAULT_LOOKBACK,
) -> np.ndarray:
    """(T, N) signed weights: the ``top_n`` best-scored eligible tickers long and the
    ``short_n`` worst-scored of the others short, each side weighted by ``weighting``
    (``score`` on the short side: by how negative the score is) and scaled so the long side
    sums to (gross + net) / 2 and the short side to -(gross - net) / 2. A side with no
    ticker stays flat (its exposure in cash)."""
    if not (np.isfinite(gross) and gross > 0):
        raise ValueError("gross: must be > 0")
    if not (np.isfinite(net) and abs(net) <= gross):
        raise ValueError("net: must be between -gross and gross")
    if short_n is None or int(short_n) != short_n or short_n < 1:
        raise ValueError("short_n: an integer >= 1")
    scores = np.asarray(scores, dtype=np.float64)
    eligible = np.asarray(eligible, dtype=bool)
    common = {"method": "rank", "rows": rows, "close": close, "lookback": lookback}
    chosen = target_weights(eligible, scores=scores, top_n=top_n, weighting="equal", **common)
    long = target_weights(eligible, scores=scores, top_n=top_n, weighting=weighting, **common)
    others = eligible & (chosen == 0)
    short = target_weights(others, scores=-scores, top_n=short_n, weighting=weighting, **common)
    return _sized(long, (gross + net) / 2.0) - _sized(short, (gross - net) / 2.0)


def _sized(weights: np.ndarray, exposure: float) -> np.ndarray:
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights * exposure, total, out=np.zeros_like(weights), where=total > 0)
