"""When the engine runs its compiled kernels (``engine._kernel``), and the calls into them.

A kernel gives the numpy path's numbers bit for bit, so choosing one is a matter of cost
only: ``import numba`` and loading the cached machine code cost ~0.2-0.3 CPU-s, more than a
small backtest's whole engine, so a process imports it only when the work is large enough
to pay for it (``pays``; also when numba is loaded already: a compiled call has a fixed cost,
a parallel one waits for its threads). ``warm`` compiles every kernel
into the cache (``NUMBA_CACHE_DIR``): the image does it at build time, so no Job compiles (a
Job's root filesystem is read-only; ``consumer.kernel_cache`` seeds a writable copy).
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

MIN_FILLS = 20_000
"""Fills of one run from which its fill walk runs compiled (the Python walk takes ~3 µs a
fill: 20,000 fills ~60 ms, a fifth of the import)."""

MIN_BAR_UPDATES = 5_000_000
"""Runs × bars of one batch from which it runs as one compiled pass (the numpy path does
~35 M bar-updates a second: 5 M take ~0.15 s, about the import)."""


def pays(work: int, threshold: int) -> bool:
    """Whether a kernel call pays for ``work`` (fills or bar-updates) against ``threshold``."""
    return work >= threshold


def kernels() -> ModuleType:
    """``engine._kernel``, imported (and numba with it) on first use."""
    from tests.engine.legacy_engine import _kernel

    return _kernel


def extra_fees(fee_fixed: float, fee_per_share: float, fee_min: float, fee_max: float) -> bool:
    """Whether an order pays more than ``fee_rate`` × notional (a fixed or per-share fee, or
    a maximum on the latter): without, the fill step is the 1.1.0 arithmetic unchanged."""
    return bool(fee_fixed or fee_per_share or fee_min or fee_max != math.inf)


def costs_array(
    initial_capital: float,
    slip: float,
    fee_rate: float,
    fee_factor: float,
    by_value: bool,
    position_size: float,
    fraction: float,
    *,
    fee_fixed: float = 0.0,
    fee_per_share: float = 0.0,
    fee_min: float = 0.0,
    fee_max: float = math.inf,
    borrow: float = 0.0,
    close_at_end: bool = False,
) -> np.ndarray:
    """The fill step's parameters as the kernels take them (``_kernel.INITIAL`` ...)."""
    extra = extra_fees(fee_fixed, fee_per_share, fee_min, fee_max)
    return np.array(
        [
            initial_capital,
            slip,
            fee_rate,
            fee_factor,
            float(by_value),
            position_size,
            fraction,
            fee_fixed,
            fee_per_share,
            fee_min,
            fee_max,
            float(extra),
            borrow,
            float(close_at_end),
        ]
    )


def warm() -> None:
    """Compile every kernel for the argument types the engine passes, into the cache."""
    kernel = kernels()
    costs = costs_array(100_000.0, 0.0, 0.001, 1.001, False, 100.0, 1.0)
    prices = np.linspace(10.0, 20.0, 8)
    kernel.walk_one(prices, np.array([1.0, 0.0] * 4), costs)
    entries = np.zeros((2, 8), dtype=bool)
    entries[:, 1] = True
    exits = np.zeros((2, 8), dtype=bool)
    exits[:, 5] = True
    seconds = np.arange(8, dtype=np.int64) * 86_400
    lines = np.vstack([prices, prices[::-1]])
    pair = np.array([0, 1], dtype=np.int64)
    none = np.empty(0, dtype=np.int64)
    no_signals = np.empty((0, 8), dtype=bool)
    priced = costs_array(1e5, 0.0, 0.001, 1.001, False, 100.0, 1.0, fee_fixed=1.0, borrow=1e-4)
    kernel.walk_one(prices, np.array([1.0, 0.0] * 4), priced)
    for edges in (np.array([0], dtype=np.int64), np.array([0, 3, 7], dtype=np.int64)):
        common = (prices, prices, seconds, 86_400.0, costs, True, edges)
        kernel.evaluate_runs(entries, exits, np.empty((0, 0)), none, none, 0, *common)
        kernel.evaluate_runs(no_signals, no_signals, lines, pair, pair[::-1].copy(), 0, *common)
    kernel.reduce_curves(np.vstack([prices, prices]))
    from tests.engine.legacy_engine import _order_kernel

    rows = np.zeros(2, dtype=np.int64)
    orders = (entries, exits, lines, rows, lines, rows, prices, prices, prices, prices)
    for kind in range(1, 5):
        for keep in (False, True):
            setup = (kind, 1, True, False)
            _order_kernel.evaluate_orders(*orders, *setup, costs, np.full(3, np.nan), keep)
