"""How much memory a portfolio simulation needs, for refusing a universe before it runs."""

from __future__ import annotations

BYTES_PER_CELL = 32 * 8
"""Peak bytes per (bar, ticker) cell of ``target_weights`` + ``simulate_portfolio`` beyond
their inputs: the (T, N) working arrays and outputs (last closes, shares, values, weights,
the benchmark's holdings) and, at worst, one order per cell (every ticker traded on every
bar, daily). Measured at 18-24 float64 per cell (tests/engine/test_portfolio_memory.py)."""
OVERHEAD_BYTES = 1 << 20
"""A fixed allowance for the small arrays of a tiny universe."""


def estimated_peak_bytes(n_bars: int, n_tickers: int) -> int:
    """An upper bound on the memory ``target_weights`` + ``simulate_portfolio`` allocate for
    a universe of ``n_tickers`` over ``n_bars`` bars, whatever the schedule and weights (the
    caller's own arrays, open/close/eligible/scores, not included)."""
    return BYTES_PER_CELL * int(n_bars) * int(n_tickers) + OVERHEAD_BYTES
