"""The rebalancing portfolio's bust rule (docs/execution.md, "Portfolios", "Bust"): a book
whose equity reaches 0 at a close is liquidated at that close, its deficit written off, and
trades no more; a hand-computed long-short book to the cent."""

from __future__ import annotations

import numpy as np
import pytest

from engine.portfolio import PortfolioConfig, simulate_portfolio
from engine.result import EXIT_REASONS

# A long, B short; bar 2's close takes the equity to 9,990 + 50 x 60 - 100 x 150 < 0.
A = [100.0, 100.0, 60.0, 70.0, 80.0]
B = [50.0, 50.0, 150.0, 40.0, 30.0]


def _bust_book(**config):
    close = np.array([A, B]).T
    decide = np.array([True, False, True, True, False])
    targets = np.tile([0.5, -0.5], (5, 1))
    settings = PortfolioConfig(10_000.0, fee_rate=0.001, allow_short=True, **config)
    return simulate_portfolio(close, close, targets, decide, settings)


def test_a_short_book_busts_at_the_close_its_equity_reaches_zero_to_the_cent():
    """Bar 1's open shorts 100 B at 50 (fee 5) and buys 50 A at 100 (fee 5): cash 9,990.
    Bar 2's close (A 60, B 150): equity 9,990 + 3,000 - 15,000 = -2,010. There A's 50 are
    sold at 60 (fee 3) and B's 100 bought back at 150 (fee 15): cash -2,028, written off.
    Bars 2-4 hold nothing (bar 2's and 3's decisions trade nothing); the contributions
    (A -2,008, B -10,020) sum to the P&L (-10,000) less the 2,028 written off."""
    result = _bust_book()
    assert result.bust_bar == 2
    assert result.written_off == pytest.approx(2_028.0)
    assert result.equity.tolist() == pytest.approx([10_000.0, 9_990.0, 0.0, 0.0, 0.0])
    assert result.cash.tolist() == pytest.approx([10_000.0, 9_990.0, 0.0, 0.0, 0.0])
    assert result.shares.tolist() == [[0, 0], [50, -100], [0, 0], [0, 0], [0, 0]]
    orders = result.orders
    assert orders.bar.tolist() == [1, 1, 2, 2]
    assert orders.asset.tolist() == [1, 0, 0, 1]
    assert orders.shares.tolist() == [-100, 50, -50, 100]
    assert orders.price.tolist() == [50.0, 100.0, 60.0, 150.0]
    assert orders.fee.tolist() == pytest.approx([5.0, 5.0, 3.0, 15.0])
    liquidation = EXIT_REASONS.index("liquidation")
    assert orders.reason.tolist() == [0, 0, liquidation, liquidation]
    assert not orders.forced.any()
    assert result.contribution.tolist() == pytest.approx([-2_008.0, -10_020.0])
    assert result.contribution.sum() + result.written_off == pytest.approx(-10_000.0)
    assert result.turnover[2:].tolist() == [0.0, 0.0, 0.0]


def test_the_bust_pays_the_fee_model_and_no_slippage():
    """With a fixed fee of 2 and 100 bps slippage the bust's orders fill at the close
    itself and each pays 0.1 % + 2."""
    result = _bust_book(fee_fixed=2.0, slippage_bps=100.0)
    bust = result.orders.bar == 2
    assert result.orders.price[bust].tolist() == [60.0, 150.0]
    assert result.orders.fee[bust].tolist() == pytest.approx([5.0, 17.0])


def test_a_book_that_never_reaches_zero_has_no_bust():
    """The same book with B closing at 120 on bar 2 (equity 9,990 + 3,000 - 12,000 =
    990 > 0) keeps trading: bar 3's open rebalances."""
    close = np.array([A, [50.0, 50.0, 120.0, 40.0, 30.0]]).T
    decide = np.array([True, False, True, True, False])
    targets = np.tile([0.5, -0.5], (5, 1))
    config = PortfolioConfig(10_000.0, fee_rate=0.001, allow_short=True)
    result = simulate_portfolio(close, close, targets, decide, config)
    assert result.bust_bar is None and result.written_off == 0.0
    assert result.orders.reason is None
    assert 3 in result.orders.bar.tolist()
