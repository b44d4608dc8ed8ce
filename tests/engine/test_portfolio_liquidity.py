"""A rebalancing portfolio's liquidity (docs/execution.md, "Portfolios", "Liquidity"): each
ticker's fills on a bar take at most ``volume_limit`` × its volume, the rest of a
rebalance's order is carried to the next opens at their prices until filled or superseded,
fills pay the broker's impact and half the spread, and ``max_adv_participation`` caps a
target at that many days of average volume. Hand-computed cases, and properties on random
universes: no bar fills more than its volume allows, every order's shares are filled or
left (ordered = filled + unfilled, the fills counted from the order table), and unlimited
volume with no impact is today's book bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.portfolio import (
    ForcedCloses,
    PortfolioConfig,
    PortfolioLiquidity,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)


def _liquidity(volume: np.ndarray, adv: np.ndarray | None = None, half_spread=0.0):
    shape = volume.shape
    return PortfolioLiquidity(
        volume=volume,
        sigma=np.full(shape, np.nan),
        adv=np.full(shape, np.nan) if adv is None else adv,
        half_spread=np.full(shape, half_spread),
    )


def _book(prices, decisions, volume=1000.0, liquidity=None, n_bars=6, **config):
    """Two tickers A and B at ``prices`` (one row for every bar, or a row per bar; opens
    and closes alike), deciding ``decisions`` {bar: [A's weight, B's weight]}, each
    trading ``volume`` shares a bar (a number or an array), 10,000 of capital."""
    open_ = np.broadcast_to(np.asarray(prices, dtype=np.float64), (n_bars, 2)).copy()
    targets = np.zeros((n_bars, 2))
    decide = np.zeros(n_bars, dtype=bool)
    for bar, weights in decisions.items():
        targets[bar], decide[bar] = weights, True
    if liquidity is None:
        liquidity = _liquidity(np.broadcast_to(volume, (n_bars, 2)).astype(np.float64))
    cfg = PortfolioConfig(initial_capital=10_000.0, **config)
    return simulate_portfolio(open_, open_.copy(), targets, decide, cfg, liquidity=liquidity)


B_RISES = [[100.0, 20.0], [100.0, 20.0], [100.0, 21.0]] + [[100.0, 22.0]] * 3
"""A at 100 (flat), B at 20, 20, 21, 22, 22, 22."""


def test_a_partial_fill_is_carried_to_the_next_opens_at_their_prices():
    """10,000 at 0.001, half each: bar 1 buys all 50 A (5,000 + 5) but only 100 of B's
    250 (10 % of its 1,000: 2,000 + 2; cash 2,993); bar 2 buys 100 more B at 21 (2,100 +
    2.1, cash 890.9); bar 3's last 50 at 22 cost 1,101.1, more than the cash: cut to the 40
    it pays (floor(890.9 / 22.022); 880 + 0.88, cash 10.02); the 10 left are never
    bought."""
    result = _book(B_RISES, {0: [0.5, 0.5]}, fee_rate=0.001, volume_limit=0.1)
    orders = result.orders
    assert orders.bar.tolist() == [1, 1, 2, 3]
    assert orders.asset.tolist() == [0, 1, 1, 1]
    assert orders.shares.tolist() == [50, 100, 100, 40]
    assert orders.price.tolist() == [100.0, 20.0, 21.0, 22.0]
    assert orders.fee.tolist() == pytest.approx([5.0, 2.0, 2.1, 0.88], abs=1e-12)
    assert result.cash[-1] == pytest.approx(10.02, abs=1e-9)
    assert result.shares[-1].tolist() == [50, 240]
    log = result.rebalance_orders
    assert log.ordered.tolist() == [50, 250]
    assert log.filled.tolist() == [50, 240]
    assert log.last.tolist() == [5, 5]
    assert result.turnover[2] == pytest.approx(2100.0 / (2993.0 + 5000.0 + 100 * 21.0))


def test_without_a_limit_the_same_book_fills_whole_on_its_rebalance_bar():
    """The same book with the liquidity inputs but no limit buys 50 A and what the cash
    pays of B at bar 1 (5,000 + 5 > 4,995: 249)."""
    result = _book(B_RISES, {0: [0.5, 0.5]}, fee_rate=0.001, spread_bps=0.0)
    assert result.orders.shares.tolist() == [50, 249]
    assert result.orders.bar.tolist() == [1, 1]


def test_the_next_rebalance_supersedes_a_carried_remainder():
    """All in B decided at bars 0 and 1: bar 1's order of 500 is cut to 100 and its
    remainder carried; bar 2's rebalance replaces it with an order sized from bar 2's
    value (400), itself filled 100 a bar; the first order's record ends at bar 1."""
    result = _book([100.0, 20.0], {0: [0.0, 1.0], 1: [0.0, 1.0]}, n_bars=5, volume_limit=0.1)
    assert result.orders.bar.tolist() == [1, 2, 3, 4]
    assert result.orders.shares.tolist() == [100, 100, 100, 100]
    log = result.rebalance_orders
    assert log.bar.tolist() == [1, 2]
    assert log.ordered.tolist() == [500, 400]
    assert log.filled.tolist() == [100, 300]
    assert log.last.tolist() == [1, 4]


def test_a_rebalance_that_orders_nothing_of_a_name_still_drops_its_remainder():
    """Bar 1 buys 100 of B's 500; the decision at bar 1's close wants B at 0.2 of the
    value, the 100 held: no order, and the 400 left of the first order are dropped (B
    stays at 100)."""
    result = _book([100.0, 20.0], {0: [0.0, 1.0], 1: [0.0, 0.2]}, volume_limit=0.1)
    assert result.shares[:, 1].tolist() == [0, 100, 100, 100, 100, 100]
    assert result.rebalance_orders.filled.tolist() == [100]


def test_a_bar_without_volume_fills_nothing_and_the_order_waits():
    """B trades nothing on bar 1 (volume 0) and has no volume figure on bar 2 (NaN): its
    whole order waits for bar 3, which fills 100 of it."""
    volume = np.full((5, 2), 1000.0)
    volume[1, 1], volume[2, 1] = 0.0, np.nan
    result = _book([100.0, 20.0], {0: [0.0, 1.0]}, volume, n_bars=5, volume_limit=0.1)
    assert result.orders.bar.tolist() == [3, 4]
    assert result.orders.shares.tolist() == [100, 100]


def test_a_sale_is_limited_and_carried_too():
    """Held 250 B (bar 1, no limit on bar 1's 10,000 volume), then all cash from bar 2's
    decision: the sale takes 100 a bar at bars 3, 4 and 50 at 5."""
    volume = np.full((7, 2), 1000.0)
    volume[1] = 10_000.0
    decisions = {0: [0.0, 0.5], 2: [0.0, 0.0]}
    result = _book([100.0, 20.0], decisions, volume, n_bars=7, volume_limit=0.1)
    assert result.orders.bar.tolist() == [1, 3, 4, 5]
    assert result.orders.shares.tolist() == [250, -100, -100, -50]
    assert result.shares[:, 1].tolist() == [0, 250, 250, 150, 50, 0, 0]


@pytest.mark.parametrize(("adv", "held"), [(100.0, 50), (np.nan, 0)])
def test_max_adv_participation_caps_a_thin_name_and_leaves_the_rest_in_cash(adv, held):
    """Half each of A (10, an ADV of 100 shares) and B (20, liquid): A's 500 shares are
    capped at 0.5 × 100 = 50; B still gets its 250, not the weight A could not take; the
    cut stays cash. A name whose ADV is not known yet (NaN) is capped at 0."""
    liquidity = _liquidity(np.full((4, 2), 1e9), np.tile([adv, 1e9], (4, 1)))
    decisions = {0: [0.5, 0.5]}
    result = _book(
        [10.0, 20.0], decisions, n_bars=4, liquidity=liquidity, max_adv_participation=0.5
    )
    assert result.shares[-1].tolist() == [held, 250]
    assert result.cash[-1] == pytest.approx(5_000.0 - 10.0 * held)
    assert result.rebalance_orders.ordered.tolist() == ([held] if held else []) + [250]


def test_a_fill_pays_its_volume_share_impact_and_half_the_spread_after_slippage():
    """10 % of 10,000 in B: 50 shares of a bar trading 1,000; zipline's impact 0.1 × (50 /
    1,000)² = 0.00025 and half of a 10 bps spread, 0.0005, on top of 5 bps of slippage:
    20 × 1.0005 × 1.00075 a share; the sale at bar 3 gets 20 × 0.9995 × 0.99925."""
    result = _book(
        [100.0, 20.0],
        {0: [0.0, 0.1], 2: [0.0, 0.0]},
        liquidity=_liquidity(np.full((6, 2), 1000.0), half_spread=0.0005),
        slippage_bps=5.0,
        slippage_model="volume_share",
        spread_bps=10.0,
    )
    assert result.orders.shares.tolist() == [50, -50]
    assert result.orders.price.tolist() == [20.0 * 1.0005 * 1.00075, 20.0 * 0.9995 * 0.99925]
    assert result.cash[1] == 10_000.0 - 50 * 20.0 * 1.0005 * 1.00075


def test_a_square_root_fill_waits_for_its_volatility_and_pays_its_impact():
    """sigma is unknown at bar 1 (the model's window warming up): no fill, the order
    waits; at bar 2 sigma 0.02 and an ADV of 5,000: 50 shares pay 1.5 × 0.02 × √(50 /
    5,000) = 0.003."""
    shape = (6, 2)
    liquidity = PortfolioLiquidity(
        volume=np.full(shape, 1000.0),
        sigma=np.where(np.arange(6)[:, None] < 2, np.nan, 0.02) * np.ones(shape),
        adv=np.full(shape, 5000.0),
        half_spread=np.zeros(shape),
    )
    config = {"slippage_model": "square_root", "impact_k": 1.5}
    result = _book([100.0, 20.0], {0: [0.0, 0.1]}, liquidity=liquidity, **config)
    assert result.orders.bar.tolist() == [2]
    assert result.orders.shares.tolist() == [50]
    assert result.orders.price.tolist() == [20.0 * (1.0 + 1.5 * 0.02 * math.sqrt(0.01))]


def test_a_liquid_config_without_its_inputs_is_refused():
    with pytest.raises(ValueError, match="liquidity"):
        simulate_portfolio(
            np.ones((3, 2)),
            np.ones((3, 2)),
            np.zeros((3, 2)),
            np.zeros(3, dtype=bool),
            PortfolioConfig(initial_capital=1.0, volume_limit=0.1),
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("volume_limit", 0.0),
        ("volume_limit", 1.5),
        ("volume_limit", math.nan),
        ("max_adv_participation", -1.0),
        ("price_impact", 2.0),
        ("impact_k", -1.0),
        ("impact_window", 1),
        ("spread_bps", math.inf),
        ("slippage_model", "linear"),
        ("spread_model", "roll"),
    ],
)
def test_the_core_refuses_a_liquidity_field_out_of_its_domain(field, value):
    with pytest.raises(ValueError, match=field):
        PortfolioConfig(initial_capital=1.0, **{field: value})


# --- properties on random universes -----------------------------------------------------


@st.composite
def _books(draw):
    """A random universe (2-5 tickers, 30-70 bars, late listings and missing days), a
    schedule and weights, its volumes (some bars 0 or NaN) and a cost model."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_bars, n_assets = draw(st.integers(30, 70)), draw(st.integers(2, 5))
    steps = rng.normal(0.0005, 0.02, (n_bars, n_assets))
    close = 10.0 * np.exp(np.cumsum(steps, axis=0)) * rng.uniform(1, 20, n_assets)
    open_ = close * np.exp(rng.normal(0, 0.005, close.shape))
    missing = rng.random(close.shape) < 0.05
    for column in range(n_assets):
        missing[: int(rng.integers(0, n_bars // 3)), column] = True
    close[missing], open_[missing] = np.nan, np.nan
    days = np.datetime64("2020-01-01") + np.arange(n_bars)
    schedule = draw(st.sampled_from(["daily", "weekly", "monthly"]))
    decide = rebalance_schedule(days, schedule, None)
    method = draw(st.sampled_from(["equal", "rank"]))
    scores = rng.normal(size=close.shape)
    targets = target_weights(
        np.isfinite(close), method=method, scores=scores, top_n=2, weighting="equal"
    )
    volume = rng.uniform(50, 5_000, close.shape).round()
    volume[rng.random(close.shape) < 0.05] = 0.0
    volume[rng.random(close.shape) < 0.03] = np.nan
    costs = {
        "initial_capital": draw(st.sampled_from([1e4, 1e5, 1e6])),
        "fee_rate": draw(st.sampled_from([0.0, 0.001])),
        "slippage_bps": draw(st.sampled_from([0.0, 5.0])),
        "fee_fixed": draw(st.sampled_from([0.0, 1.0])),
        "min_trade": draw(st.sampled_from([0.0, 0.01])),
    }
    return open_, close, targets, decide, volume, costs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_books(), st.sampled_from([0.01, 0.05, 0.25, 1.0]))
def test_no_bar_fills_more_than_its_volume_allows_and_every_order_is_accounted(book, limit):
    """Every fill of a ticker on a bar is at most floor(limit × its volume) shares (none
    where the volume is 0 or NaN); each rebalance order's fills, counted from the order
    table over its bars, are its ``filled``, on its side and no more than it ordered; the
    final holdings are the orders' sum."""
    open_, close, targets, decide, volume, costs = book
    cfg = PortfolioConfig(volume_limit=limit, **costs)
    result = simulate_portfolio(open_, close, targets, decide, cfg, liquidity=_liquidity(volume))
    orders = result.orders
    allowed = np.floor(limit * np.where(volume > 0, volume, 0.0))
    assert np.all(np.abs(orders.shares) <= allowed[orders.bar, orders.asset])
    log = result.rebalance_orders
    for bar, asset, ordered, filled, last in zip(
        log.bar, log.asset, log.ordered, log.filled, log.last, strict=True
    ):
        mine = (orders.asset == asset) & (orders.bar >= bar) & (orders.bar <= last)
        assert int(orders.shares[mine].sum()) == filled
        assert filled * np.sign(ordered) >= 0 and abs(filled) <= abs(ordered)
    held = np.bincount(orders.asset, weights=orders.shares, minlength=close.shape[1])
    assert result.shares[-1].tolist() == held.astype(np.int64).tolist()
    cash = costs["initial_capital"] - float((orders.value + orders.fee).sum())
    assert result.cash[-1] == pytest.approx(cash, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_books(), st.sampled_from([0.01, 0.5, 1.0]), st.sampled_from(["spread", "impact"]))
def test_unlimited_volume_and_no_impact_is_todays_book_bit_for_bit(book, limit, how):
    """Infinite volume, a zero spread or a volume-share impact of coefficient 0: every
    output equals the book without liquidity inputs, bit for bit."""
    open_, close, targets, decide, _, costs = book
    today = simulate_portfolio(open_, close, targets, decide, PortfolioConfig(**costs))
    priced = {"spread_bps": 0.0} if how == "spread" else {"slippage_model": "volume_share"}
    cfg = PortfolioConfig(volume_limit=limit, price_impact=0.0, **priced, **costs)
    liquid = simulate_portfolio(
        open_,
        close,
        targets,
        decide,
        cfg,
        liquidity=_liquidity(np.full(close.shape, np.inf)),
    )
    for name in ("equity", "cash", "shares", "weights", "turnover", "benchmark", "decisions"):
        assert np.array_equal(getattr(liquid, name), getattr(today, name)), name
    assert np.array_equal(liquid.contribution, today.contribution)
    for name in ("bar", "asset", "shares", "price", "fee", "value"):
        assert np.array_equal(getattr(liquid.orders, name), getattr(today.orders, name)), name
    assert today.rebalance_orders is None


def test_a_forced_close_drops_the_remainder_of_its_ticker():
    """B's buy is carried 100 a bar from bar 1; B is delisted from bar 3 (its holding paid
    20 a share at that open): the 200 held are closed there and the rest never bought."""
    n_bars = 6
    blocked = np.zeros((n_bars, 2), dtype=bool)
    blocked[3:, 1] = True
    price = np.full((n_bars, 2), np.nan)
    price[3, 1] = 20.0
    open_ = np.array([[100.0, 20.0]] * n_bars)
    targets = np.zeros((n_bars, 2))
    targets[0] = [0.0, 1.0]
    decide = np.zeros(n_bars, dtype=bool)
    decide[0] = True
    cfg = PortfolioConfig(initial_capital=10_000.0, volume_limit=0.1)
    result = simulate_portfolio(
        open_,
        open_,
        targets,
        decide,
        cfg,
        ForcedCloses(blocked, price),
        liquidity=_liquidity(np.full((n_bars, 2), 1000.0)),
    )
    assert result.orders.shares.tolist() == [100, 100, -200]
    assert result.shares[:, 1].tolist() == [0, 100, 200, 0, 0, 0]
