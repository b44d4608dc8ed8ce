"""Monte Carlo of one run: trade-order reshuffling and a stationary block bootstrap of bar
returns, seeded, with percentiles of total return and max drawdown and the probability of a
loss.

Pure numpy; no I/O. A run's Monte Carlo (``adapters.run_robustness.monte_carlo``, served
on demand by ``GET /api/runs/<id>/montecarlo``) calls both; docs/execution.md,
"Overfitting statistics", defines it. The same inputs and seed
give byte-identical outputs (numpy's PCG64 ``default_rng(seed)``; numpy is pinned).

* **Trade reshuffling**: the run's trade returns as fractions of equity (r_i, e.g. a trade's
  PnL over the equity before it) are put in a random order on each path (a permutation; with
  ``replace=True`` drawn with replacement instead, a bootstrap of trades), and compounded:
  equity_k = Π_{i ≤ k} (1 + r_i), starting from 1. A permutation leaves the total return
  Π(1 + r_i) − 1 unchanged and only moves the drawdowns.
* **Stationary bootstrap** (Politis & Romano, "The Stationary Bootstrap", JASA 89(428),
  1994): a path of T bar returns is made of blocks starting at uniformly random bars, of
  geometric lengths with mean L (``mean_block``): each next bar starts a new block with
  probability 1/L, else continues the block at the next bar (wrapping from the last bar to
  the first). It keeps the returns' short-range dependence (volatility clusters) that an
  iid bootstrap loses.

Per path: total return % = (final / initial − 1) × 100 and max drawdown % (the engine's
definition: the largest fall from a running peak, the starting equity included, positive).
Outputs: the ``PERCENTILES`` of both (numpy's linear interpolation), the probability of a
loss (share of paths with total return < 0) and the number of paths.
"""

from __future__ import annotations

import numpy as np

from adapters._plain import number

PERCENTILES = (5, 25, 50, 75, 95)
"""Percentiles reported of total return and max drawdown."""

DEFAULT_PATHS = 1000
"""Paths simulated unless told otherwise."""

MAX_VALUES = 20_000_000
"""Most path values (paths × length) one call simulates (160 MB of float64 at most)."""


def reshuffle_trades(
    trade_returns: np.ndarray,
    n_paths: int = DEFAULT_PATHS,
    seed: int = 0,
    replace: bool = False,
) -> dict:
    """Trade-order reshuffling (or, with ``replace``, a bootstrap of the trades) of
    ``trade_returns`` (fractions of equity, each > −1); see the module docstring.

    :raise ValueError: no trade, a trade return of −1 or less, or a bad ``n_paths``.
    """
    r = np.asarray(trade_returns, dtype=np.float64).ravel()
    if r.size == 0 or not np.isfinite(r).all() or (r <= -1.0).any():
        raise ValueError("trade_returns must hold at least one finite return above -1")
    _check_paths(n_paths, r.size)
    rng = np.random.default_rng(seed)
    if replace:
        order = rng.integers(0, r.size, size=(n_paths, r.size))
    else:
        order = rng.permuted(np.broadcast_to(np.arange(r.size), (n_paths, r.size)), axis=1)
    return _summary(r[order])


def stationary_bootstrap(
    returns: np.ndarray,
    mean_block: float = 10.0,
    n_paths: int = DEFAULT_PATHS,
    seed: int = 0,
) -> dict:
    """A stationary block bootstrap of bar ``returns`` (the engine's ``bar_returns`` of one
    run) with mean block length ``mean_block`` (≥ 1; 1 is an iid bootstrap); see the module
    docstring.

    :raise ValueError: fewer than 2 returns, a return of −1 or less, a bad ``mean_block`` or
        ``n_paths``.
    """
    r = np.asarray(returns, dtype=np.float64).ravel()
    if r.size < 2 or not np.isfinite(r).all() or (r < -1.0).any():
        raise ValueError("returns must hold at least 2 finite returns of -1 or more")
    if not (isinstance(mean_block, int | float) and 1.0 <= mean_block <= r.size):
        raise ValueError(f"mean_block must be a number from 1 to {r.size}, got {mean_block!r}")
    _check_paths(n_paths, r.size)
    return _summary(r[bootstrap_indices(r.size, mean_block, n_paths, seed)])


def bootstrap_indices(n_bars: int, mean_block: float, n_paths: int, seed: int) -> np.ndarray:
    """The bar indices (n_paths × n_bars) of the stationary bootstrap: a block starts on bar 0
    and on each later bar with probability 1 / ``mean_block``, at a uniform random bar, and
    runs on circularly."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n_bars, size=(n_paths, n_bars))
    new_block = rng.random((n_paths, n_bars)) < 1.0 / mean_block
    new_block[:, 0] = True
    steps = np.arange(n_bars)
    block_start = np.maximum.accumulate(np.where(new_block, steps, 0), axis=1)
    first = np.take_along_axis(starts, block_start, axis=1)
    return (first + steps - block_start) % n_bars


def _check_paths(n_paths: int, length: int) -> None:
    if isinstance(n_paths, bool) or not isinstance(n_paths, int | np.integer) or n_paths < 1:
        raise ValueError(f"n_paths must be a positive integer, got {n_paths!r}")
    if n_paths * length > MAX_VALUES:
        raise ValueError(
            f"n_paths × {length} must be at most {MAX_VALUES:,}: n_paths must be at most "
            f"{MAX_VALUES // length:,}"
        )


def _summary(paths: np.ndarray) -> dict:
    """Percentiles of total return and max drawdown of compounded return paths (P × T)."""
    equity = np.cumprod(1.0 + paths, axis=1)
    total = (equity[:, -1] - 1.0) * 100.0
    peak = np.maximum(np.maximum.accumulate(equity, axis=1), 1.0)
    drawdown = ((peak - equity) / peak).max(axis=1) * 100.0
    return {
        "total_return_pct": _percentiles(total),
        "max_drawdown_pct": _percentiles(drawdown),
        "prob_loss": number(np.mean(total < 0.0)),
        "n_paths": int(paths.shape[0]),
    }


def _percentiles(values: np.ndarray) -> dict[str, float | None]:
    points = np.percentile(values, PERCENTILES)
    return {f"p{p}": number(v) for p, v in zip(PERCENTILES, points, strict=True)}
