"""A long-short book (engine/portfolio/long_short.py and shorts in the core): the top N long,
the bottom N short, gross and net exposure at each rebalance on target within one share per
position, and equity equal to vectorbt's ``from_orders`` (direction both) for a
dollar-neutral book."""

from __future__ import annotations

import numpy as np
import pytest

from engine.portfolio import (
    PortfolioConfig,
    long_short_weights,
    rebalance_schedule,
    simulate_portfolio,
)
from tests.engine.portfolio_peer import peer_inputs, run_vectorbt
from tests.engine.portfolio_universe import random_universe


def _book(gross: float, net: float, seed: int = 3):
    rng = np.random.default_rng(seed)
    universe = random_universe(rng, 400, 12, late_share=0.2)
    momentum = universe.close / np.roll(universe.close, 20, axis=0) - 1.0
    momentum[:20] = np.nan
    decide = rebalance_schedule(universe.days, "weekly")
    weights = long_short_weights(
        universe.has_bar, momentum, top_n=3, short_n=3, gross=gross, net=net, rows=decide
    )
    config = PortfolioConfig(
        initial_capital=100_000.0,
        fee_rate=0.001,
        slippage_bps=5.0,
        max_leverage=max(gross, 1.0),
        allow_short=True,
    )
    return universe, momentum, decide, weights, config


def test_the_best_are_long_the_worst_short_and_the_sides_sized_to_gross_and_net():
    universe, momentum, decide, weights, _ = _book(1.6, 1.0)
    row = int(np.flatnonzero(decide)[-1])
    order = np.argsort(-np.where(universe.has_bar[row], momentum[row], -np.inf), kind="stable")
    assert set(np.flatnonzero(weights[row] > 0)) == set(order[:3].tolist())
    assert weights[row][weights[row] > 0].sum() == pytest.approx(1.3)
    assert weights[row][weights[row] < 0].sum() == pytest.approx(-0.3)
    shorts = np.flatnonzero(weights[row] < 0)
    assert momentum[row, shorts].max() <= np.sort(momentum[row][universe.has_bar[row]])[2]


@pytest.mark.parametrize(("gross", "net"), [(2.0, 0.0), (1.0, 0.0), (1.6, 1.0), (1.0, -0.5)])
def test_exposure_at_each_rebalance_is_on_target_within_one_share_per_position(gross, net):
    universe, _, decide, weights, config = _book(gross, net)
    result = simulate_portfolio(universe.open_, universe.close, weights, decide, config)
    for bar in np.unique(result.orders.bar).tolist():
        price = np.nan_to_num(np.where(np.isfinite(universe.close[bar]), universe.open_[bar], 0))
        value = result.cash[bar - 1] + float(result.shares[bar - 1] @ price)
        held = result.shares[bar] * price
        target = weights[bar - 1] * value
        traded = np.isfinite(universe.close[bar])
        assert np.all(np.abs(held - target)[traded] <= price[traded] * 1.0001 + 1e-9), bar
        slack = price[traded].sum() * 1.0001
        assert abs(np.abs(held).sum() - np.abs(target).sum()) <= slack + 1e-9
        assert abs(held.sum() - target.sum()) <= slack + 1e-9
    assert (result.shares < 0).any()


DOLLAR_NEUTRAL = [(2.0, 0.0), (1.0, 0.0)]
"""(gross, net) of the books compared with vectorbt."""


@pytest.fixture(scope="module")
def neutral_books() -> dict[tuple[float, float], tuple[object, dict]]:
    """Each dollar-neutral book's result and vectorbt's outputs for it (one vectorbt
    process for both: each costs seconds of its imports and kernels)."""
    ours, inputs = {}, []
    for gross, net in DOLLAR_NEUTRAL:
        universe, _, decide, weights, config = _book(gross, net)
        ours[gross, net] = simulate_portfolio(
            universe.open_, universe.close, weights, decide, config
        )
        case = peer_inputs(universe.open_, universe.close, weights, decide, config)
        inputs.append({**case, "direction": np.array("both")})
    peers = run_vectorbt(inputs)
    return {key: (ours[key], peer) for key, peer in zip(DOLLAR_NEUTRAL, peers, strict=True)}


@pytest.mark.parametrize(("gross", "net"), DOLLAR_NEUTRAL)
def test_a_dollar_neutral_book_equals_vectorbt_from_orders_with_direction_both(
    neutral_books, gross, net
):
    """vectorbt lends no cash beyond what the shorts raise, so the parity is for books
    whose long side the short proceeds and the capital pay for."""
    ours, peer = neutral_books[gross, net]
    deviation = np.abs(ours.equity - peer["value"]) / np.abs(peer["value"])
    assert deviation.max() <= 1e-9
    filled = peer["shares"] != 0
    assert ours.orders.shares.tolist() == peer["shares"][filled].astype(np.int64).tolist()


def test_short_targets_are_refused_unless_shorting_is_allowed():
    universe, _, decide, weights, _ = _book(1.0, 0.0)
    with pytest.raises(ValueError, match="targets"):
        simulate_portfolio(universe.open_, universe.close, weights, decide, PortfolioConfig(1e5))
    with pytest.raises(ValueError, match="net"):
        long_short_weights(universe.has_bar, weights, top_n=1, short_n=1, gross=1.0, net=2.0)
