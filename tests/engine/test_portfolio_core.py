"""The portfolio core on hand-made universes whose answer is computed by hand
(docs/execution.md, "Portfolios")."""

from __future__ import annotations

import numpy as np
import pytest

from engine.portfolio import (
    PortfolioConfig,
    equal_weight_buy_and_hold,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from engine.portfolio.prices import last_close
from tests.engine.portfolio_universe import random_universe

NEW_YEAR = np.array(
    ["2024-12-27", "2024-12-30", "2024-12-31", "2025-01-02", "2025-01-03", "2025-01-06"],
    dtype="datetime64[D]",
)
"""Fri, Mon, Tue (end of month and quarter), Thu, Fri (end of ISO week 1), Mon."""


def _orders(result) -> list[tuple[int, int, int]]:
    """The orders as (fill bar, asset, signed shares)."""
    o = result.orders
    return list(zip(o.bar.tolist(), o.asset.tolist(), o.shares.tolist(), strict=True))


def _decide(n: int, *bars: int) -> np.ndarray:
    decide = np.zeros(n, dtype=bool)
    decide[list(bars)] = True
    return decide


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("daily", [1, 1, 1, 1, 1, 0]),
        ("weekly", [1, 0, 0, 0, 1, 0]),
        ("monthly", [1, 0, 1, 0, 0, 0]),
        ("quarterly", [1, 0, 1, 0, 0, 0]),
    ],
)
def test_schedules_decide_on_the_first_bar_and_the_last_bar_of_each_period_never_the_last_bar(
    schedule, expected
):
    """The first bar always decides (invested from the start); weekly follows ISO weeks
    across the new year; month and quarter end on Dec 31."""
    assert rebalance_schedule(NEW_YEAR, schedule).tolist() == [bool(x) for x in expected]


def test_every_n_bars_decides_on_bars_zero_n_2n():
    """'bars' with N = 2: bars 0, 2, 4 (not the last one)."""
    assert rebalance_schedule(NEW_YEAR, "bars", 2).tolist() == [1, 0, 1, 0, 1, 0]
    with pytest.raises(ValueError, match="every_n_bars"):
        rebalance_schedule(NEW_YEAR, "bars")


def test_quarterly_differs_from_monthly_inside_a_quarter():
    """Month ends of January and February are not quarter ends."""
    days = np.array(["2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01"], "datetime64[D]")
    assert rebalance_schedule(days, "monthly").tolist() == [True, False, True, False]
    assert rebalance_schedule(days, "quarterly").tolist() == [True, False, False, False]


def test_equal_weights_split_over_the_eligible_tickers():
    """1/k over the k eligible, nothing on a row with none."""
    eligible = np.array([[1, 1, 0, 1], [0, 0, 0, 0]], dtype=bool)
    got = target_weights(eligible, method="equal")
    assert got.tolist() == [[1 / 3, 1 / 3, 0, 1 / 3], [0, 0, 0, 0]]


def test_fixed_weights_of_an_ineligible_ticker_stay_in_cash():
    """The others are not scaled up; a sum over 1 is refused."""
    eligible = np.array([[1, 0, 1]], dtype=bool)
    got = target_weights(eligible, method="fixed", fixed=np.array([0.5, 0.3, 0.1]))
    assert got.tolist() == [[0.5, 0.0, 0.1]]
    with pytest.raises(ValueError, match="fixed"):
        target_weights(eligible, method="fixed", fixed=np.array([0.5, 0.4, 0.2]))


def test_rank_takes_the_top_n_scores_with_ties_to_the_first_ticker():
    """NaN scores and ineligible tickers are skipped; equal scores go to the lower column."""
    eligible = np.array([[1, 1, 1, 1, 0]], dtype=bool)
    scores = np.array([[2.0, 5.0, 2.0, np.nan, 9.0]])
    got = target_weights(eligible, method="rank", scores=scores, top_n=2)
    assert got.tolist() == [[0.5, 0.5, 0.0, 0.0, 0.0]]
    fewer = target_weights(eligible, method="rank", scores=scores, top_n=4)
    assert fewer.tolist() == [[1 / 3, 1 / 3, 1 / 3, 0.0, 0.0]]


def test_score_weighting_is_proportional_to_positive_scores():
    """A chosen ticker with a score <= 0 gets 0; none positive = all cash."""
    eligible = np.ones((2, 3), dtype=bool)
    scores = np.array([[3.0, 1.0, -2.0], [-1.0, -2.0, -3.0]])
    got = target_weights(eligible, method="rank", scores=scores, top_n=3, weighting="score")
    assert got.tolist() == [[0.75, 0.25, 0.0], [0.0, 0.0, 0.0]]


def test_fill_at_next_open_with_fees_slippage_and_a_buy_cut_to_the_cash_left():
    """1000 split 50/50 at opens 10 and 20, fee 1 %, slippage 100 bps: A takes 50 shares
    at 10.1 (510.05 with fee); B wants 25 at 20.2 (510.05) but 489.95 buys only 24."""
    open_ = np.array([[10.0, 20.0], [10.0, 20.0], [11.0, 18.0]])
    close = np.array([[10.0, 20.0], [10.0, 20.0], [12.0, 16.0]])
    config = PortfolioConfig(1000.0, fee_rate=0.01, slippage_bps=100.0)
    targets = target_weights(np.ones((3, 2), dtype=bool), method="equal")
    result = simulate_portfolio(open_, close, targets, _decide(3, 0), config)
    assert _orders(result) == [(1, 0, 50), (1, 1, 24)]
    assert result.orders.price.tolist() == pytest.approx([10.1, 20.2])
    assert result.orders.fee.tolist() == pytest.approx([5.05, 4.848])
    cash = 1000 - 505 - 5.05 - 484.8 - 4.848
    assert result.cash.tolist() == pytest.approx([1000, cash, cash])
    assert result.equity.tolist() == pytest.approx([1000, cash + 980, cash + 984])
    assert result.shares.tolist() == [[0, 0], [50, 24], [50, 24]]
    assert result.weights[2].tolist() == pytest.approx([600 / (cash + 984), 384 / (cash + 984)])
    assert result.contribution.tolist() == pytest.approx([600 - 510.05, 384 - 489.648])
    assert result.contribution.sum() == pytest.approx(result.equity[-1] - 1000)
    assert result.turnover.tolist() == pytest.approx([0, (505 + 484.8) / 1000, 0])
    assert result.decisions.tolist() == [True, False, False]


def test_sells_come_before_buys_so_a_sale_funds_the_buy():
    """All in A (second column), then all in B (first column): A's 100 shares are sold
    before B's 50 are bought, though B comes first in the universe."""
    prices = np.array([[20.0, 10.0]] * 4)
    targets = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    result = simulate_portfolio(prices, prices, targets, _decide(4, 0, 1), PortfolioConfig(1000.0))
    assert _orders(result) == [(1, 1, 100), (2, 1, -100), (2, 0, 50)]
    assert result.equity.tolist() == [1000.0] * 4


def test_an_order_is_rounded_toward_zero_to_whole_shares():
    """Holding 10 at 10, a target of 79 % of 100 is 7.9 shares: 2 are sold, not 3."""
    prices = np.full((3, 1), 10.0)
    targets = np.array([[1.0], [0.79], [0.79]])
    result = simulate_portfolio(prices, prices, targets, _decide(3, 0, 1), PortfolioConfig(100.0))
    assert _orders(result) == [(1, 0, 10), (2, 0, -2)]


def test_a_ticker_without_a_bar_at_the_fill_is_not_traded_and_is_valued_at_its_last_close():
    """A has no bar on bar 1 (the first fill) and bar 3: B is bought on bar 1, A on bar 2
    at the next decision; on bar 3 A counts at its bar-2 close of 12."""
    open_ = np.array([[10.0, 20.0], [np.nan, 20.0], [10.0, 20.0], [np.nan, 20.0], [10, 20]])
    close = np.array([[10.0, 20.0], [np.nan, 20.0], [12.0, 20.0], [np.nan, 20.0], [10, 20]])
    targets = np.full((5, 2), 0.5)
    decide = _decide(5, 0, 1)
    result = simulate_portfolio(open_, close, targets, decide, PortfolioConfig(1000.0))
    assert _orders(result) == [(1, 1, 25), (2, 0, 50)]
    assert result.equity.tolist() == [1000.0, 1000.0, 1100.0, 1100.0, 1000.0]


def test_last_close_carries_each_tickers_close_over_its_missing_bars_only():
    """Columns: no gap, listed late, a gap inside, gone at the end, never listed. Before a
    ticker's first bar it stays NaN; after it, a missing bar reads the latest close."""
    nan = np.nan
    close = np.array(
        [
            [1.0, nan, 3.0, 4.0, nan],
            [1.5, nan, nan, 4.5, nan],
            [2.0, 2.0, nan, nan, nan],
            [2.5, 2.5, 3.5, nan, nan],
        ]
    )
    expected = np.array(
        [
            [1.0, nan, 3.0, 4.0, nan],
            [1.5, nan, 3.0, 4.5, nan],
            [2.0, 2.0, 3.0, 4.5, nan],
            [2.5, 2.5, 3.5, 4.5, nan],
        ]
    )
    np.testing.assert_array_equal(last_close(close), expected)
    np.testing.assert_array_equal(last_close(close[:, :2]), close[:, :2])
    assert last_close(np.empty((0, 3))).shape == (0, 3)


def test_drift_beyond_the_threshold_rebalances_to_the_last_scheduled_targets():
    """50/50 at 10 and 10; A doubles on bar 3, its weight reaches 2/3 (drift 0.167 > 0.1):
    bar 3's close decides, bar 4's open sells 12 A and buys the 24 B the cash allows."""
    open_ = np.array([[10.0, 10.0]] * 3 + [[20.0, 10.0]] * 3)
    targets = target_weights(np.ones((6, 2), dtype=bool), method="equal")
    decide = rebalance_schedule(np.arange(6).astype("datetime64[D]"), "bars", 100)
    drifting = PortfolioConfig(1000.0, drift_threshold=0.1)
    result = simulate_portfolio(open_, open_, targets, decide, drifting)
    assert _orders(result) == [(1, 0, 50), (1, 1, 50), (4, 0, -12), (4, 1, 24)]
    assert result.decisions.tolist() == [True, False, False, True, False, False]
    assert result.equity[-1] == 1500.0
    steady = PortfolioConfig(1000.0, drift_threshold=0.2)
    assert len(simulate_portfolio(open_, open_, targets, decide, steady).orders) == 2


def test_benchmark_buys_each_slice_at_its_tickers_second_bar_and_holds():
    """Capital 1000 in two slices of 500, fee 1 %: A (second bar = bar 1, open 10) gets
    floor(500 / 1.01 / 10) = 49 shares; B, listed on bar 2, buys 24 at bar 3's open 20."""
    nan = np.nan
    open_ = np.array([[10.0, nan], [10.0, nan], [11.0, 21.0], [12.0, 20.0], [12.0, 22.0]])
    close = np.array([[10.0, nan], [11.0, nan], [12.0, 21.0], [12.0, 20.0], [13.0, 22.0]])
    got = equal_weight_buy_and_hold(open_, close, PortfolioConfig(1000.0, fee_rate=0.01))
    cash_a = 1000 - 490 * 1.01
    cash_ab = cash_a - 480 * 1.01
    expected = [1000, cash_a + 49 * 11, cash_a + 49 * 12, cash_ab + 588 + 480, cash_ab + 637 + 528]
    assert got.tolist() == pytest.approx(expected)


def test_contributions_add_up_to_the_profit_on_a_random_universe():
    """Fees included, the per-ticker P&L sums to final equity minus capital."""
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (120, 8)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, close.shape))
    days = np.datetime64("2021-01-04") + np.arange(120)
    targets = target_weights(np.ones(close.shape, dtype=bool), method="equal")
    config = PortfolioConfig(50_000.0, fee_rate=0.002, slippage_bps=10.0)
    result = simulate_portfolio(open_, close, targets, rebalance_schedule(days, "weekly"), config)
    assert result.contribution.sum() == pytest.approx(result.equity[-1] - 50_000.0, rel=1e-12)
    assert (result.cash >= 0).all()
    assert result.weights.sum(axis=1).max() <= 1.0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("initial_capital", {"initial_capital": 0.0}),
        ("fee_rate", {"initial_capital": 1.0, "fee_rate": -0.1}),
        ("slippage_bps", {"initial_capital": 1.0, "slippage_bps": float("nan")}),
        ("drift_threshold", {"initial_capital": 1.0, "drift_threshold": 0.0}),
        ("max_leverage", {"initial_capital": 1.0, "max_leverage": 0.5}),
        ("max_leverage", {"initial_capital": 1.0, "max_leverage": 16.5}),
    ],
)
def test_a_config_out_of_its_domain_names_the_field(field, kwargs):
    """ValueError starting with the field's name."""
    with pytest.raises(ValueError, match=f"^{field}"):
        PortfolioConfig(**kwargs)


def test_a_book_may_hold_up_to_16_times_its_value():
    """A gross exposure of 4 levered 4 times by a volatility target (the most a portfolio
    request asks for) is within the cap."""
    assert PortfolioConfig(1.0, max_leverage=16.0).max_leverage == 16.0


def test_targets_summing_over_one_on_a_decision_bar_are_refused():
    """A row used for a decision must sum to <= 1; unused rows are not looked at."""
    prices = np.full((3, 2), 10.0)
    targets = np.array([[0.7, 0.7], [np.nan, np.nan], [0.5, 0.5]])
    with pytest.raises(ValueError, match="targets"):
        simulate_portfolio(prices, prices, targets, _decide(3, 0), PortfolioConfig(1.0))
    ok = simulate_portfolio(prices, prices, targets[::-1], _decide(3, 0), PortfolioConfig(1.0))
    assert ok.equity.tolist() == [1.0, 1.0, 1.0]


def test_rows_limits_the_work_to_the_decision_bars_with_the_same_answer_there():
    """With rows = the decision bars, those rows equal the full answer; the others are 0."""
    rng = np.random.default_rng(3)
    eligible = rng.random((30, 6)) < 0.8
    scores = rng.normal(size=(30, 6))
    rows = rng.random(30) < 0.3
    full = target_weights(eligible, method="rank", scores=scores, top_n=2, weighting="score")
    some = target_weights(
        eligible, method="rank", scores=scores, top_n=2, weighting="score", rows=rows
    )
    assert some[rows].tolist() == full[rows].tolist()
    assert not some[~rows].any()


@pytest.mark.parametrize("seed", range(12))
def test_the_ledger_holds_together_on_random_universes(seed):
    """Cash and shares never negative; shares are the running sum of the orders; equity is
    cash + shares x last close; orders fill only on the bar after a decision, only where the
    ticker has a bar, sells before buys; weights sum to <= 1."""
    rng = np.random.default_rng(100 + seed)
    market = random_universe(
        rng, int(rng.integers(60, 200)), int(rng.integers(2, 30)), late_share=0.5, missing_rate=0.05
    )
    n_bars, n_assets = market.close.shape
    schedule = ("daily", "weekly", "monthly", "bars")[seed % 4]
    decide = rebalance_schedule(market.days, schedule, 7 if schedule == "bars" else None)
    scores = rng.normal(size=market.close.shape)
    targets = target_weights(market.has_bar, method="rank", scores=scores, top_n=3)
    config = PortfolioConfig(
        float(rng.uniform(1_000, 100_000)),
        fee_rate=float(rng.choice([0.0, 0.002, 0.02])),
        slippage_bps=float(rng.choice([0.0, 15.0])),
        drift_threshold=None if seed % 3 else 0.05,
    )
    result = simulate_portfolio(market.open_, market.close, targets, decide, config)
    orders = result.orders
    assert (result.cash >= 0).all() and (result.shares >= 0).all()
    flows = np.zeros((n_bars, n_assets), dtype=np.int64)
    np.add.at(flows, (orders.bar, orders.asset), orders.shares)
    assert (np.cumsum(flows, axis=0) == result.shares).all()
    mark = np.nan_to_num(last_close(market.close))
    assert result.equity == pytest.approx(result.cash + (result.shares * mark).sum(axis=1))
    assert result.decisions[orders.bar - 1].all()
    assert market.has_bar[orders.bar, orders.asset].all()
    for bar in np.unique(orders.bar):
        signs = np.sign(orders.shares[orders.bar == bar])
        assert (np.diff(signs) >= 0).all(), f"a buy before a sell on bar {bar}"
    assert (result.weights.sum(axis=1) <= 1 + 1e-12).all()
    assert result.contribution.sum() == pytest.approx(result.equity[-1] - config.initial_capital)
