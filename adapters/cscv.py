"""Probability of backtest overfitting (PBO) by combinatorially symmetric cross-validation
(CSCV), computed from a few sums per block instead of return curves.

Pure numpy; no I/O. Sweep chunk Jobs store each combination's block statistics and the
sweep's summary runs CSCV on them (``kinds.sweeps.overfitting``); docs/execution.md,
"Overfitting statistics", defines it.

Reference: Bailey, Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting",
Journal of Computational Finance 20(4), 2017 (SSRN 2326253, 2015), section 2.

The window's T bar returns are cut into S contiguous blocks (S even; ``np.array_split``, so
block lengths differ by at most one). Each of the N combinations keeps, per block b, its
**block statistics**: the sum of its bar returns Σr, the sum of their squares Σr² and the
count n_b (the same for every combination). The Sharpe ratio of any union U of blocks follows
exactly from them: n = Σ_{b∈U} n_b, mean = Σ_{b∈U} Σr / n,
var = (Σ_{b∈U} Σr² − n·mean²) / (n − 1), Sharpe = mean / √var (per bar, ddof 1, the engine's
definition before × √B). So a chunk Job can store 2·S numbers per combination.

For every one of the C(S, S/2) ways to choose S/2 blocks as in-sample (IS; the others
out-of-sample, OOS): n* = the combination with the best IS Sharpe; ω = its relative rank
among the OOS Sharpe ratios, rank / (N + 1) (rank 1 = worst, ties averaged); the logit
λ = ln(ω / (1 − ω)). Then

* **PBO** = the share of splits with λ ≤ 0 (the IS best at or below the OOS median);
* **performance degradation**: the least-squares slope (and intercept) of the selected
  combination's OOS Sharpe on its IS Sharpe across the splits (negative = overfit);
* **probability of OOS loss**: the share of splits where the selected combination's OOS
  Sharpe is below 0.

A combination whose Sharpe is undefined on a union (no variance: it never traded there)
counts as the worst there. The splits come in complementary pairs, so each pair's two unions
are evaluated once and serve as IS and OOS of both (C(S, S/2) / 2 evaluations of N Sharpe
ratios each, in chunks to bound memory).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from adapters._plain import float_list, number
from engine import TRADING_DAYS, libm

DEFAULT_BLOCKS = 16
"""S, the number of blocks the window is cut into (the paper's choice; 12,870 splits)."""

MIN_BARS_PER_BLOCK = 2
"""Each block holds at least this many returns, so every union has a sample variance."""

_CHUNK_VALUES = 1 << 22
"""Most (combination, split) Sharpe values held at once (about 32 MB per temporary)."""


@dataclass(frozen=True)
class BlockStats:
    """Per-block sufficient statistics of N combinations' bar returns over S blocks:
    ``sums`` and ``squares`` (N × S: Σr and Σr² per block) and ``counts`` (S: returns per
    block, shared by all combinations)."""

    sums: np.ndarray
    squares: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True)
class PBOResult:
    """CSCV's outputs (see the module docstring): ``pbo``, ``logits`` (one λ per split, for a
    histogram), the selected combination's ``is_sharpe`` / ``oos_sharpe`` per split
    (annualised with ``bars_per_year``), the ``degradation_slope`` and
    ``degradation_intercept`` of OOS on IS, ``prob_oos_loss`` and ``n_splits``."""

    pbo: float
    logits: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    degradation_slope: float
    degradation_intercept: float
    prob_oos_loss: float
    n_splits: int

    def as_dict(self) -> dict:
        """Plain JSON-safe values (``None`` where not finite)."""
        return {
            "pbo": number(self.pbo),
            "logits": float_list(self.logits),
            "is_sharpe": float_list(self.is_sharpe),
            "oos_sharpe": float_list(self.oos_sharpe),
            "degradation_slope": number(self.degradation_slope),
            "degradation_intercept": number(self.degradation_intercept),
            "prob_oos_loss": number(self.prob_oos_loss),
            "n_splits": self.n_splits,
        }


def _check_blocks(n_blocks: int) -> None:
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int | np.integer):
        raise ValueError(f"n_blocks must be an even integer, got {n_blocks!r}")
    if n_blocks < 2 or n_blocks % 2:
        raise ValueError(f"n_blocks must be an even integer of at least 2, got {n_blocks}")


def block_edges(n_returns: int, n_blocks: int) -> np.ndarray:
    """The S + 1 bounds of ``n_blocks`` contiguous blocks over ``n_returns`` bar returns
    (int64; block b is ``edges[b]:edges[b + 1]``)."""
    return np.linspace(0, n_returns, n_blocks + 1).round().astype(np.int64)


def block_stats(returns: np.ndarray, n_blocks: int = DEFAULT_BLOCKS) -> BlockStats:
    """The ``BlockStats`` of N return series (N × T, or one series of length T) cut into
    ``n_blocks`` contiguous blocks.

    :raise ValueError: ``n_blocks`` odd or below 2; ``returns`` with fewer than
        ``MIN_BARS_PER_BLOCK`` returns per block.
    """
    _check_blocks(n_blocks)
    r = np.atleast_2d(np.asarray(returns, dtype=np.float64))
    n_bars = r.shape[1]
    if n_bars < MIN_BARS_PER_BLOCK * n_blocks:
        raise ValueError(
            f"returns has {n_bars} bars, fewer than {MIN_BARS_PER_BLOCK} per block "
            f"for n_blocks={n_blocks}"
        )
    edges = block_edges(n_bars, n_blocks)
    starts = edges[:-1]
    return BlockStats(
        sums=np.add.reduceat(r, starts, axis=1),
        squares=np.add.reduceat(r * r, starts, axis=1),
        counts=np.diff(edges),
    )


def union_sharpe(stats: BlockStats, mask: np.ndarray) -> np.ndarray:
    """Per-bar Sharpe ratios (ddof 1) of each combination over the union of the blocks a 0/1
    ``mask`` selects: N values for one mask (S), N × M for M masks (M × S); NaN where the
    variance is 0."""
    m = np.asarray(mask, dtype=np.float64)
    single = m.ndim == 1
    m = np.atleast_2d(m)
    n = m @ stats.counts.astype(np.float64)
    columns = np.ascontiguousarray(m.T)  # a contiguous right operand: BLAS's fast path
    total = np.dot(stats.sums, columns)
    squares = np.dot(stats.squares, columns)
    # In place from here (N × M temporaries dominate): mean, then var, then the ratio.
    floor = np.abs(squares)
    np.maximum(floor, np.finfo(np.float64).tiny, out=floor)
    floor *= 1e-13 / n
    mean = np.divide(total, n, out=total)
    squares -= mean * mean * n  # Σr² − n·mean²
    var = np.divide(squares, n - 1.0, out=squares)
    defined = var > floor
    with np.errstate(divide="ignore", invalid="ignore"):
        np.sqrt(var, out=var)
        sharpe = np.divide(mean, var, out=mean)
    sharpe[~defined] = np.nan
    return sharpe[:, 0] if single else sharpe


def split_masks(n_blocks: int) -> np.ndarray:
    """The C(S, S/2) / 2 in-sample masks (rows of 0/1 over S blocks) that hold block 0; with
    their complements they are all C(S, S/2) splits."""
    _check_blocks(n_blocks)
    half = n_blocks // 2
    chosen = [(0, *rest) for rest in combinations(range(1, n_blocks), half - 1)]
    masks = np.zeros((len(chosen), n_blocks), dtype=np.int8)
    rows = np.repeat(np.arange(len(chosen)), half)
    masks[rows, np.asarray(chosen).ravel()] = 1
    return masks


MAX_EVALUATIONS = 10_000_000
"""Most (combination, split pair) Sharpe evaluations one CSCV makes (``max_evaluations``):
all C(S, S/2) splits while N × C(S, S/2) / 2 stays within it (N ≤ 1,554 at S = 16); beyond,
a seeded sample of the split pairs (at least ``MIN_PAIRS``), so a 100,000-combination sweep
costs about a second, not minutes."""

MIN_PAIRS = 100
"""The fewest split pairs a sampled CSCV evaluates (200 splits: a sampled PBO within ±0.07
at 95 % of the all-splits value, the sampling error of a share of 200)."""


def sampled_masks(n_blocks: int, n_combos: int, max_evaluations: int, seed: int = 0) -> np.ndarray:
    """The split pairs ``probability_of_backtest_overfitting`` evaluates: every pair of
    ``split_masks`` when ``n_combos`` × pairs fits in ``max_evaluations``, else a seeded
    random subset (without replacement, in their original order) of ``max_evaluations`` //
    ``n_combos`` pairs, at least ``MIN_PAIRS``: the same inputs give the same pairs."""
    masks = split_masks(n_blocks)
    keep = max(MIN_PAIRS, max_evaluations // max(n_combos, 1))
    if keep >= masks.shape[0]:
        return masks
    chosen = np.random.default_rng(seed).choice(masks.shape[0], size=keep, replace=False)
    return masks[np.sort(chosen)]


def probability_of_backtest_overfitting(
    stats: BlockStats,
    bars_per_year: float = TRADING_DAYS,
    max_evaluations: int = MAX_EVALUATIONS,
) -> PBOResult:
    """CSCV on the ``BlockStats`` of N ≥ 2 combinations over an even number of blocks; the
    selected combination's Sharpe ratios are annualised with ``bars_per_year``. Every split
    is evaluated unless N × pairs exceeds ``max_evaluations`` (``sampled_masks``:
    ``n_splits`` says how many were).

    :raise ValueError: ``stats`` of fewer than 2 combinations, an odd number of blocks, or an
        empty block.
    """
    sums = np.asarray(stats.sums, dtype=np.float64)
    if sums.ndim != 2 or sums.shape[0] < 2:
        raise ValueError("stats must hold at least 2 combinations (sums is N × S)")
    n_combos, n_blocks = sums.shape
    _check_blocks(n_blocks)
    counts = np.asarray(stats.counts)
    if counts.shape != (n_blocks,) or (counts < 1).any():
        raise ValueError("stats.counts must hold one positive count per block")
    stats = BlockStats(sums, np.asarray(stats.squares, dtype=np.float64), counts)

    masks = sampled_masks(n_blocks, n_combos, max_evaluations)
    n_pairs = masks.shape[0]
    logits = np.empty(2 * n_pairs)
    is_best = np.empty(2 * n_pairs)
    oos_best = np.empty(2 * n_pairs)
    chunk = max(1, _CHUNK_VALUES // n_combos)
    for start in range(0, n_pairs, chunk):
        part = masks[start : start + chunk]
        left = _ranked(union_sharpe(stats, part))
        right = _ranked(union_sharpe(stats, 1 - part))
        stop = start + part.shape[0]
        # Split k: IS = the mask, OOS = its complement; split n_pairs + k: the reverse.
        for offset, (ins, oos) in ((0, (left, right)), (n_pairs, (right, left))):
            lam, is_value, oos_value = _select(ins, oos)
            logits[offset + start : offset + stop] = lam
            is_best[offset + start : offset + stop] = is_value
            oos_best[offset + start : offset + stop] = oos_value

    root = math.sqrt(bars_per_year)
    is_best *= root
    oos_best *= root
    both = np.isfinite(is_best) & np.isfinite(oos_best)
    slope = intercept = math.nan
    if both.sum() >= 2 and np.ptp(is_best[both]) > 0:
        slope, intercept = np.polyfit(is_best[both], oos_best[both], 1)
    return PBOResult(
        pbo=float(np.mean(logits <= 0.0)),
        logits=logits,
        is_sharpe=is_best,
        oos_sharpe=oos_best,
        degradation_slope=float(slope),
        degradation_intercept=float(intercept),
        prob_oos_loss=float(np.mean(np.nan_to_num(oos_best, nan=-np.inf) < 0.0)),
        n_splits=2 * n_pairs,
    )


def _ranked(sharpe: np.ndarray) -> np.ndarray:
    """Undefined Sharpe ratios as the worst (−inf), so they are never selected and rank last."""
    return np.where(np.isnan(sharpe), -np.inf, sharpe)


def _select(ins: np.ndarray, oos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per split (columns of N × M): the logit of the IS best's relative OOS rank, its IS and
    its OOS Sharpe (NaN where undefined)."""
    n_combos = ins.shape[0]
    best = np.argmax(ins, axis=0)
    columns = np.arange(ins.shape[1])
    chosen = oos[best, columns]
    below = (oos < chosen).sum(axis=0)
    ties = (oos == chosen).sum(axis=0)  # the chosen itself included
    omega = (below + (ties + 1) / 2.0) / (n_combos + 1.0)
    logit = libm.log(omega / (1.0 - omega))  # the C library's: the same bits on every CPU
    finite = lambda v: np.where(np.isfinite(v), v, np.nan)  # noqa: E731
    return logit, finite(ins[best, columns]), finite(chosen)
