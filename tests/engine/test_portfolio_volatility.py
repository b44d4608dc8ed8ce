"""The volatility target (engine/portfolio/volatility.py) and leverage in the core
(``PortfolioConfig.max_leverage``): a row is scaled by target / its trailing volatility
within the leverage cap, and a levered book borrows no more than the cap allows."""

from __future__ import annotations

import numpy as np
import pytest

from engine.portfolio import (
    PortfolioConfig,
    rebalance_schedule,
    simulate_portfolio,
    target_volatility,
    target_weights,
)
from tests.engine.portfolio_universe import random_universe


def _market(seed: int = 11, n_bars: int = 300, n_tickers: int = 5):
    rng = np.random.default_rng(seed)
    return random_universe(rng, n_bars, n_tickers)


def test_a_row_is_scaled_by_the_target_over_its_trailing_volatility():
    universe = _market()
    weights = target_weights(universe.has_bar, method="equal")
    got = target_volatility(weights, universe.close, target=0.1, max_leverage=5.0, lookback=40)
    t = 200
    returns = universe.close[t - 39 : t + 1] / universe.close[t - 40 : t] - 1.0
    sigma = np.std(returns @ weights[t], ddof=1) * np.sqrt(252.0)
    np.testing.assert_allclose(got[t], weights[t] * 0.1 / sigma, rtol=1e-12)


def test_the_scale_never_exceeds_the_maximum_leverage_and_uses_no_later_price():
    universe = _market()
    weights = target_weights(universe.has_bar, method="equal")
    got = target_volatility(weights, universe.close, target=2.0, max_leverage=1.5, lookback=20)
    assert np.all(got.sum(axis=1) <= 1.5 + 1e-12)
    later = universe.close.copy()
    later[151:] *= 1.3
    again = target_volatility(weights, later, target=2.0, max_leverage=1.5, lookback=20)
    assert np.array_equal(again[:151], got[:151])


def test_without_two_returns_a_row_is_not_scaled_up():
    universe = _market()
    weights = target_weights(universe.has_bar, method="equal")
    got = target_volatility(weights, universe.close, target=5.0, max_leverage=3.0, lookback=20)
    assert got[0].tolist() == weights[0].tolist() and got[1].tolist() == weights[1].tolist()
    with pytest.raises(ValueError, match="target"):
        target_volatility(weights, universe.close, target=0.0)


def test_a_levered_book_borrows_up_to_its_cap_at_each_fill_and_no_more():
    """Targets summing to 1.8 with max_leverage 2: holdings at each fill's open are 1.8 of
    the value they were sized from, within a share per ticker (cash negative); targets above
    the cap are refused."""
    universe = _market(n_tickers=6)
    decide = rebalance_schedule(universe.days, "monthly")
    targets = target_weights(universe.has_bar, method="equal") * 1.8
    config = PortfolioConfig(initial_capital=100_000.0, fee_rate=0.001, max_leverage=2.0)
    result = simulate_portfolio(universe.open_, universe.close, targets, decide, config)
    assert result.cash.min() < -50_000.0
    for bar in np.unique(result.orders.bar).tolist():
        price = np.nan_to_num(universe.open_[bar])
        value = result.cash[bar - 1] + float(result.shares[bar - 1] @ price)
        assert float(result.shares[bar] @ price) <= 1.8 * value + price.sum()  # a share each
        assert float(result.shares[bar] @ price) >= 1.8 * value - 6 * price.max()
    with pytest.raises(ValueError, match="max_leverage"):
        simulate_portfolio(
            universe.open_, universe.close, targets, decide, PortfolioConfig(100_000.0)
        )


def test_cash_earns_the_cash_rate_at_each_close_and_borrowed_cash_pays_it():
    """Nothing held: 5 % a year compounds to 1.05 after bars_per_year closes. A levered book
    with the rate ends below the same book without it."""
    universe = _market()
    decide = rebalance_schedule(universe.days, "monthly")
    idle = np.zeros(universe.close.shape)
    config = PortfolioConfig(initial_capital=100.0, cash_rate=0.05, bars_per_year=252.0)
    result = simulate_portfolio(universe.open_, universe.close, idle, decide, config)
    assert result.equity[251] == pytest.approx(105.0, rel=1e-12)
    levered = target_weights(universe.has_bar, method="equal") * 1.5
    free, paying = (
        simulate_portfolio(
            universe.open_,
            universe.close,
            levered,
            decide,
            PortfolioConfig(100_000.0, max_leverage=1.5, cash_rate=rate),
        )
        for rate in (0.0, 0.1)
    )
    assert paying.equity[-1] < free.equity[-1]
