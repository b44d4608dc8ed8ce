"""Position and sector caps on target weights: the excess over a cap redistributed to the
tickers still below theirs, in proportion to their weights (pure numpy)."""

from __future__ import annotations

import numpy as np

NO_SECTOR = -1
"""The sector code of a ticker whose sector is unknown: no sector cap applies to it."""
TINY = 1e-15
"""Excess weight below this is rounding, not redistributed."""


def cap_weights(
    weights: np.ndarray,
    *,
    max_weight: float | None = None,
    sectors: np.ndarray | None = None,
    max_sector_weight: float | None = None,
) -> np.ndarray:
    """(T, N) ``weights`` with no ticker above ``max_weight`` and no sector (``sectors``
    (N,) integer codes, ``NO_SECTOR`` = none) above ``max_sector_weight``: each row clips
    its tickers to the cap and scales a sector over its cap down to it, then spreads what
    was cut over the tickers neither at their cap nor in a capped sector, in proportion to
    their weights; repeated until nothing exceeds. What no ticker can take stays in cash.
    ``None`` = no cap. A row's sum never grows. Negative (short) weights: the long and the
    short side are capped separately, each on its magnitudes."""
    weights = np.asarray(weights, dtype=np.float64)
    if max_weight is None and max_sector_weight is None:
        return weights
    if np.any(weights < 0):  # a long-short book: each side capped on its own
        caps = {
            "max_weight": max_weight,
            "sectors": sectors,
            "max_sector_weight": max_sector_weight,
        }
        long, short = np.maximum(weights, 0.0), np.maximum(-weights, 0.0)
        return cap_weights(long, **caps) - cap_weights(short, **caps)
    for name, cap in (("max_weight", max_weight), ("max_sector_weight", max_sector_weight)):
        if cap is not None and not 0 < cap <= 1:
            raise ValueError(f"{name}: must be > 0 and <= 1 (or None)")
    codes = np.full(weights.shape[1], NO_SECTOR, dtype=np.int64)
    if max_sector_weight is not None:
        if sectors is None or np.shape(sectors) != (weights.shape[1],):
            raise ValueError(f"sectors: expected {weights.shape[1]} sector codes")
        codes = np.asarray(sectors, dtype=np.int64)
    out = weights.copy()
    for t in np.flatnonzero((weights > 0).any(axis=1)).tolist():
        out[t] = _cap_row(weights[t], max_weight, codes, max_sector_weight)
    return out


def _cap_row(
    weights: np.ndarray, cap: float | None, codes: np.ndarray, sector_cap: float | None
) -> np.ndarray:
    w = weights.copy()
    frozen = np.zeros(w.size, dtype=bool)
    grouped = codes >= 0
    n_groups = int(codes.max()) + 1 if grouped.any() else 0
    for _ in range(w.size + n_groups + 1):
        excess = 0.0
        if cap is not None:
            over = w > cap
            excess += float((w[over] - cap).sum())
            w[over] = cap
            frozen |= over
        if sector_cap is not None and n_groups:
            sums = np.bincount(codes[grouped], weights=w[grouped], minlength=n_groups)
            for group in np.flatnonzero(sums > sector_cap).tolist():
                members = codes == group
                excess += float(sums[group] - sector_cap)
                w[members] *= sector_cap / sums[group]
                frozen |= members
        if excess <= TINY:
            break
        room = ~frozen & (w > 0)
        if not room.any():
            break
        w[room] += excess * w[room] / w[room].sum()
    if cap is not None:
        w = np.minimum(w, cap)
    if sector_cap is not None and n_groups:
        sums = np.bincount(codes[grouped], weights=w[grouped], minlength=n_groups)
        for group in np.flatnonzero(sums > sector_cap).tolist():
            w[codes == group] *= sector_cap / sums[group] * (1.0 - 1e-15)
    return w
