"""Every fee model in the rebalancing portfolio (docs/execution.md, "Portfolios", "Fills"):
a hand-computed case per model (fixed, per share with a minimum, per share with a maximum),
the benchmark's slices and a forced close under them, and a Hypothesis property that the
books balance, order by order, on random universes with random fee models, shorts,
leverage and busts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.portfolio import (
    ForcedCloses,
    PortfolioConfig,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from engine.portfolio.prices import last_close
from tests.engine.portfolio_universe import random_universe

PRICES = np.array([[100.0, 20.0]] * 3)
"""A at 100 and B at 20 on every open and close."""


def _run(targets, **fees):
    config = PortfolioConfig(10_000.0, fee_rate=0.0, **fees)
    decide = np.array([True, False, False])
    return simulate_portfolio(PRICES, PRICES, np.tile(targets, (3, 1)), decide, config)


def _fee(shares: float, price: float, rate=0.0, fixed=0.0, per_share=0.0, low=0.0, high=math.inf):
    """docs/execution.md's fee(n, p), written here from the text."""
    return shares * price * rate + fixed + min(max(shares * per_share, low), high)


def test_a_fixed_fee_cuts_an_all_in_buy_to_the_shares_cash_and_fee_pay_for():
    """All in A at 100 with 10 a order: 100 shares cost 10,010, so 99 (9,900 + 10)."""
    result = _run([1.0, 0.0], fee_fixed=10.0)
    assert result.orders.shares.tolist() == [99]
    assert result.orders.fee.tolist() == [10.0]
    assert result.cash.tolist() == [10_000.0, 90.0, 90.0]


def test_a_per_share_fee_with_a_minimum():
    """Half each, 0.005 a share, at least 1: A's 50 pay 1 (cash 4,999 left); B's 250 would
    cost 5,001.25, so 249 (4,980 + 1.245): cash 17.755."""
    result = _run([0.5, 0.5], fee_per_share=0.005, fee_min=1.0)
    assert result.orders.shares.tolist() == [50, 249]
    assert result.orders.fee.tolist() == pytest.approx([1.0, 1.245])
    assert result.cash[1] == pytest.approx(17.755)


def test_a_per_share_fee_with_a_maximum():
    """All in B at 20 with 0.01 a share, at most 2: 500 shares would pay 2 (10,002), so
    499 (9,980 + 2): cash 18."""
    result = _run([0.0, 1.0], fee_per_share=0.01, fee_max=2.0)
    assert result.orders.shares.tolist() == [499]
    assert result.orders.fee.tolist() == [2.0]
    assert result.cash[1] == pytest.approx(18.0)


def test_every_fee_model_at_once_with_the_rate_and_slippage():
    """0.1 % + 1 + 0.01 a share within [2, 3], 100 bps: A's 50 at 101 pay 5.05 + 1 + 2
    (5,058.05; cash 4,941.95); B's 250 at 20.2 would cost 5,058.55, so the most the cash
    pays for: 244 (4,928.80 + 4.9288 + 1 + 2.44): cash 4.7812."""
    fees = {"fee_fixed": 1.0, "fee_per_share": 0.01, "fee_min": 2.0, "fee_max": 3.0}
    config = PortfolioConfig(10_000.0, fee_rate=0.001, slippage_bps=100.0, **fees)
    decide = np.array([True, False, False])
    targets = np.tile([0.5, 0.5], (3, 1))
    result = simulate_portfolio(PRICES, PRICES, targets, decide, config)
    orders = result.orders
    assert orders.shares.tolist() == [50, 244]
    assert orders.price.tolist() == pytest.approx([101.0, 20.2])
    assert orders.fee.tolist() == pytest.approx([8.05, 8.3688])
    assert result.cash[1] == pytest.approx(4.7812)


def test_the_benchmark_slices_buy_what_the_fee_model_lets_them():
    """5,000 a slice, 10 a order: A buys 49 at 100 (4,910), B 249 at 20 (4,990); equity
    10,000 - 9,900 + 4,900 + 4,980 = 9,980."""
    result = _run([0.5, 0.5], fee_fixed=10.0)
    assert result.benchmark.tolist() == pytest.approx([10_000.0, 9_980.0, 9_980.0])


def test_a_forced_close_pays_the_fee_model():
    """A delisted at bar 2 for 90 a share: its 99 shares pay 10 on the close."""
    blocked = np.zeros((3, 2), dtype=bool)
    blocked[2, 0] = True
    price = np.full((3, 2), np.nan)
    price[2, 0] = 90.0
    config = PortfolioConfig(10_000.0, fee_rate=0.0, fee_fixed=10.0)
    targets = np.tile([1.0, 0.0], (3, 1))
    decide = np.array([True, False, False])
    result = simulate_portfolio(
        PRICES, PRICES, targets, decide, config, ForcedCloses(blocked, price)
    )
    assert result.orders.shares.tolist() == [99, -99]
    assert result.orders.fee.tolist() == [10.0, 10.0]
    assert result.cash[2] == pytest.approx(90.0 + 99 * 90.0 - 10.0)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("fee_fixed", {"fee_fixed": -1.0}),
        ("fee_per_share", {"fee_per_share": math.inf}),
        ("fee_min", {"fee_min": math.nan}),
        ("fee_max", {"fee_min": 2.0, "fee_max": 1.0}),
        ("fee_max", {"fee_max": math.nan}),
    ],
)
def test_a_fee_out_of_its_domain_names_the_field(field, kwargs):
    with pytest.raises(ValueError, match=f"^{field}"):
        PortfolioConfig(1_000.0, **kwargs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    fixed=st.sampled_from([0.0, 1.0, 25.0]),
    per_share=st.sampled_from([0.0, 0.005, 0.05]),
    low=st.sampled_from([0.0, 1.0]),
    high=st.sampled_from([math.inf, 1.5, 40.0]),
    short=st.booleans(),
    leverage=st.sampled_from([1.0, 2.0]),
    capital=st.sampled_from([2_000.0, 100_000.0]),
)
def test_the_books_balance_with_every_fee_model(
    seed, fixed, per_share, low, high, short, leverage, capital
):
    """Random universes and fee models (long-only or long-short, levered or not, some
    busting): every order's fee is fee(n, p) of docs/execution.md; the cash moves at each
    bar by exactly that bar's orders (value + fee) and a bust's write-off; equity = cash +
    shares x last close; a buy never takes cash below the floor it was cut to; the
    contributions sum to the P&L less the write-off."""
    rng = np.random.default_rng(seed)
    u = random_universe(rng, 60, 5, late_share=0.3, missing_rate=0.05)
    targets = target_weights(u.has_bar, method="equal") * leverage
    if short:
        targets[:, ::2] *= -1.0
    decide = rebalance_schedule(u.days, str(rng.choice(["daily", "weekly"])))
    fees = {"fee_fixed": fixed, "fee_per_share": per_share, "fee_min": low}
    config = PortfolioConfig(
        capital,
        fee_rate=0.001,
        slippage_bps=5.0,
        max_leverage=leverage,
        allow_short=short,
        fee_max=max(high, low),
        **fees,
    )
    result = simulate_portfolio(u.open_, u.close, targets, decide, config)
    orders = result.orders
    expected = [
        _fee(abs(n), p, 0.001, fixed, per_share, low, max(high, low))
        for n, p in zip(orders.shares.tolist(), orders.price.tolist(), strict=True)
    ]
    assert orders.fee == pytest.approx(expected, rel=1e-12, abs=1e-12)
    flows = np.zeros(60)
    np.add.at(flows, orders.bar, orders.value + orders.fee)
    moved = np.diff(np.r_[capital, result.cash]) + flows
    if result.bust_bar is not None:
        moved[result.bust_bar] -= result.written_off
        assert result.written_off >= 0.0
        assert (result.equity[result.bust_bar :] == 0.0).all()
    assert moved == pytest.approx(np.zeros(60), abs=1e-6)
    mark = np.nan_to_num(last_close(u.close))
    marked = result.cash + (result.shares * mark).sum(axis=1)
    assert result.equity == pytest.approx(marked, rel=1e-12, abs=1e-9)
    if not short and leverage == 1.0:
        assert (result.cash >= -1e-9).all()
    pnl = result.equity[-1] - capital
    total = result.contribution.sum() + result.written_off
    assert total == pytest.approx(pnl, rel=1e-9, abs=1e-6)
