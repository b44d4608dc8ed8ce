"""The borrow fee of a long-short book (``PortfolioConfig.borrow_rate``): at each close, cash
pays the short positions' value at that close times rate / bars per year, worked out by hand
to the cent on a two-ticker book, with and without a cash rate; a book without shorts and a
rate of 0 pay nothing."""

from __future__ import annotations

import numpy as np
import pytest

from engine.portfolio import PortfolioConfig, simulate_portfolio

A_CLOSE = [100.0, 100.0, 100.0, 100.0]
B_CLOSE = [50.0, 50.0, 60.0, 40.0]
"""Four bars: A flat at 100; B at 50, 50, 60 and 40 (each open equals the close before)."""


def _prices() -> tuple[np.ndarray, np.ndarray]:
    close = np.column_stack([A_CLOSE, B_CLOSE])
    open_ = np.vstack([close[:1], close[:-1]])
    return open_, close


def _simulate(targets: list[float], **config: float):
    """Decide on bar 0's close, fill at bar 1's open, hold to bar 3."""
    open_, close = _prices()
    weights = np.zeros((4, 2))
    weights[0] = targets
    decide = np.array([True, False, False, False])
    settings = {"initial_capital": 10_000.0, "allow_short": True, **config}
    return simulate_portfolio(open_, close, weights, decide, PortfolioConfig(**settings))


def test_the_short_side_pays_rate_over_252_of_its_value_at_each_close():
    """Long 50 A, short 100 B from 10,000; 2.52 % a year is 0.01 % a bar of B's short value:
    0.50 at B = 50, 0.60 at 60, 0.40 at 40."""
    result = _simulate([0.5, -0.5], borrow_rate=0.0252)
    assert result.shares[1].tolist() == [50, -100]
    assert result.cash.tolist() == pytest.approx(
        [10_000.0, 9_999.50, 9_998.90, 9_998.50], abs=0.005
    )
    # equity = cash + 50 x 100 - 100 x 40 at the last close; 1.50 less than without the fee
    assert result.equity[-1] == pytest.approx(10_998.50, abs=0.005)
    free = _simulate([0.5, -0.5])
    assert free.equity[-1] - result.equity[-1] == pytest.approx(1.50, abs=0.005)


def test_the_fee_is_paid_after_the_cash_rate_grows_cash_at_the_same_close():
    """One bar a year makes the rates whole: cash grows 10 % a close, then pays 1 % of the
    short value. Bar 0: 11,000; the book is sized from it (55 A long, 110 B short); then
    12,100 - 55 = 12,045; 13,249.50 - 66 = 13,183.50; 14,501.85 - 44 = 14,457.85."""
    result = _simulate([0.5, -0.5], borrow_rate=0.01, cash_rate=0.1, bars_per_year=1.0)
    assert result.shares[1].tolist() == [55, -110]
    expected = [11_000.0, 12_045.0, 13_183.50, 14_457.85]
    assert result.cash.tolist() == pytest.approx(expected, abs=0.005)
    assert result.equity[-1] == pytest.approx(14_457.85 + 5_500.0 - 4_400.0, abs=0.005)


def test_a_long_only_book_and_a_zero_rate_pay_nothing():
    """No short position, or a rate of 0: the result is the one without a borrow fee."""
    long_only = _simulate([0.5, 0.5], borrow_rate=0.5)
    assert long_only.cash.tolist() == _simulate([0.5, 0.5]).cash.tolist()
    zero = _simulate([0.5, -0.5], borrow_rate=0.0)
    assert zero.equity.tolist() == _simulate([0.5, -0.5]).equity.tolist()


@pytest.mark.parametrize("rate", [-0.01, 1.5, float("nan")])
def test_a_borrow_rate_outside_0_to_1_is_refused(rate):
    """The core refuses a negative, too large or undefined rate, naming it."""
    with pytest.raises(ValueError, match="borrow_rate"):
        PortfolioConfig(10_000.0, borrow_rate=rate)
