"""The portfolio core's memory bound holds: what it allocates (tracemalloc) stays under
``estimated_peak_bytes``, at worst (daily, every ticker traded every bar) and typically."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from engine.portfolio import (
    PortfolioConfig,
    estimated_peak_bytes,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from tests.engine.portfolio_universe import random_universe


@pytest.mark.parametrize(
    ("n_bars", "n_tickers", "schedule"),
    [(600, 200, "daily"), (2_000, 10, "daily"), (40, 3, "daily"), (1_500, 120, "monthly")],
)
def test_the_core_allocates_less_than_its_estimate(n_bars, n_tickers, schedule):
    """Peak traced allocation <= the estimate, and the estimate is not 4x too generous on
    the daily worst case."""
    market = random_universe(np.random.default_rng(n_bars), n_bars, n_tickers, late_share=0.1)
    decide = rebalance_schedule(market.days, schedule)
    config = PortfolioConfig(1e9, fee_rate=0.001, slippage_bps=5.0, drift_threshold=0.01)
    tracemalloc.start()
    try:
        targets = target_weights(market.has_bar, method="equal")
        result = simulate_portfolio(market.open_, market.close, targets, decide, config)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = estimated_peak_bytes(n_bars, n_tickers)
    assert peak <= estimate
    if schedule == "daily" and n_bars * n_tickers > 10_000:
        assert len(result.orders) > 0.9 * n_bars * n_tickers  # the worst case is reached
        assert estimate < 4 * peak
