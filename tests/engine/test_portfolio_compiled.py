"""The compiled walk of a rebalancing portfolio (``engine._rebalance_kernel``) equals the
Python walk (``engine.portfolio.simulate``) bit for bit: random universes with missing and
late bars, random schedules and targets (long, short and levered), drift, a minimum trade,
every fee model, slippage, and the liquidity fields (volume limits, both impact models, a
spread, the ADV cap), at capitals from 1,000 to 1e10, books that go bust included
(Hypothesis); every output compared with ``np.array_equal``. A book the kernel does not
model (forced closes, corporate actions, a cash rate, a borrow fee) stays in Python."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.portfolio import (
    ForcedCloses,
    PortfolioConfig,
    PortfolioLiquidity,
    simulate_portfolio,
)
from engine.portfolio import simulate as module

FIELDS = (
    "equity",
    "cash",
    "shares",
    "weights",
    "turnover",
    "decisions",
    "contribution",
    "benchmark",
)
ORDER_FIELDS = ("bar", "asset", "shares", "price", "fee", "value", "forced")
RECORD_FIELDS = ("bar", "asset", "ordered", "filled", "last")


def _market(seed: int, n_bars: int, n_assets: int):
    """(open, close, volume, sigma, adv, half spread) of a random universe: some bars
    missing, some tickers listed late, some volumes zero or missing."""
    rng = np.random.default_rng(seed)
    close = 40 * np.exp(np.cumsum(rng.normal(0, 0.03, (n_bars, n_assets)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, close.shape))
    missing = rng.random(close.shape) < 0.05
    missing[0] = False
    late = rng.integers(0, max(n_bars // 2, 1), n_assets) * (rng.random(n_assets) < 0.3)
    for column, first in enumerate(late.tolist()):
        missing[:first, column] = True
    open_[missing], close[missing] = np.nan, np.nan
    volume = np.round(10 ** rng.uniform(1, 6, close.shape))
    volume[rng.random(close.shape) < 0.03] = 0.0
    volume[missing] = np.nan
    sigma = np.where(rng.random(close.shape) < 0.1, np.nan, rng.uniform(0.005, 0.04, close.shape))
    adv = np.where(rng.random(close.shape) < 0.1, np.nan, 10 ** rng.uniform(1, 6, close.shape))
    half = rng.uniform(0, 0.002, close.shape) * (rng.random() < 0.5)
    return open_, close, volume, sigma, adv, half


def _targets(seed: int, n_bars: int, n_assets: int, short: bool, leverage: float):
    """Random decision bars and weights on them (a few all-cash decisions; half the
    books fully invested, so the last buys are cut to the cash)."""
    rng = np.random.default_rng(seed + 1)
    decide = rng.random(n_bars) < 0.15
    decide[0] = True
    raw = rng.random((n_bars, n_assets)) * (rng.random((n_bars, n_assets)) < 0.7)
    if short:
        raw *= np.where(rng.random(raw.shape) < 0.4, -1.0, 1.0)
    total = np.abs(raw).sum(axis=1, keepdims=True)
    weights = np.divide(raw, total, out=np.zeros_like(raw), where=total > 0)
    weights *= leverage * (1.0 if rng.random() < 0.5 else rng.uniform(0.5, 1.0, (n_bars, 1)))
    return np.where(decide[:, None], weights, 0.0), decide


def _both(*args):
    """(the Python walk's result, the compiled walk's)."""
    return simulate_portfolio(*args), simulate_portfolio(*args, compiled=True)


def _assert_equal(python, kernel):
    for field in FIELDS:
        assert np.array_equal(getattr(python, field), getattr(kernel, field)), field
    for field in ORDER_FIELDS:
        assert np.array_equal(getattr(python.orders, field), getattr(kernel.orders, field)), field
    if python.orders.reason is None:
        assert kernel.orders.reason is None
    else:
        assert np.array_equal(python.orders.reason, kernel.orders.reason)
    assert (python.bust_bar, python.written_off) == (kernel.bust_bar, kernel.written_off)
    if python.rebalance_orders is None:
        assert kernel.rebalance_orders is None
        return
    for field in RECORD_FIELDS:
        ours = getattr(kernel.rebalance_orders, field)
        assert np.array_equal(getattr(python.rebalance_orders, field), ours), field


FEES = st.sampled_from(
    [
        {},
        {"fee_fixed": 1.5},
        {"fee_per_share": 0.01, "fee_min": 1.0, "fee_max": 8.0},
        {"fee_fixed": 40.0, "fee_per_share": 0.005},
    ]
)
LIQUIDITY = st.sampled_from(
    [
        {},
        {"volume_limit": 0.1},
        {"volume_limit": 0.025, "slippage_model": "volume_share", "price_impact": 0.1},
        {"volume_limit": 0.5, "slippage_model": "square_root", "impact_k": 0.5},
        {"spread_bps": 20.0},
        {"max_adv_participation": 0.05},
        {"volume_limit": 0.2, "max_adv_participation": 0.5, "spread_bps": 10.0},
    ]
)


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_bars=st.integers(2, 90),
    n_assets=st.integers(1, 11),
    capital=st.sampled_from([1_000.0, 25_000.0, 1e6, 1e8, 1e10]),
    fee_rate=st.sampled_from([0.0, 0.001, 0.01]),
    slippage=st.sampled_from([0.0, 5.0, 40.0]),
    fees=FEES,
    liquidity=LIQUIDITY,
    drift=st.sampled_from([None, 0.02, 0.2]),
    min_trade=st.sampled_from([0.0, 0.01, 0.05]),
    book=st.sampled_from([(False, 1.0), (True, 1.0), (True, 3.0), (False, 2.0)]),
)
def test_the_compiled_walk_equals_the_python_walk_bit_for_bit(
    seed, n_bars, n_assets, capital, fee_rate, slippage, fees, liquidity, drift, min_trade, book
):
    short, leverage = book
    open_, close, volume, sigma, adv, half = _market(seed, n_bars, n_assets)
    targets, decide = _targets(seed, n_bars, n_assets, short, leverage)
    config = PortfolioConfig(
        capital,
        fee_rate,
        slippage,
        drift_threshold=drift,
        min_trade=min_trade,
        max_leverage=leverage,
        allow_short=short,
        **fees,
        **liquidity,
    )
    inputs = PortfolioLiquidity(volume, sigma, adv, half) if config.liquid else None
    _assert_equal(*_both(open_, close, targets, decide, config, None, None, inputs))


def test_a_short_book_that_goes_bust_is_liquidated_alike():
    """A levered short book on rising prices reaches 0: both walks liquidate it at the same
    close and write off the same deficit."""
    n_bars = 60
    close = np.outer(1.08 ** np.arange(n_bars), [10.0, 20.0, 30.0])
    open_ = close * 0.999
    decide = np.zeros(n_bars, dtype=bool)
    decide[::5] = True
    targets = np.where(decide[:, None], [-1.0, -1.0, -1.0], 0.0)
    config = PortfolioConfig(1e5, 0.001, 5.0, max_leverage=3.0, allow_short=True)
    python, kernel = _both(open_, close, targets, decide, config)
    assert python.bust_bar is not None and python.written_off > 0
    _assert_equal(python, kernel)


def test_a_thin_name_carries_its_remainder_alike():
    """A volume-limited book at a large capital carries remainders across bars: the
    compiled walk fills, carries and supersedes them as the Python walk does."""
    open_, close, volume, sigma, adv, half = _market(11, 120, 3)
    volume[:, 0] = 50.0
    targets, decide = _targets(11, 120, 3, False, 1.0)
    config = PortfolioConfig(1e8, 0.001, 5.0, volume_limit=0.1, slippage_model="volume_share")
    inputs = PortfolioLiquidity(volume, sigma, adv, half)
    python, kernel = _both(open_, close, targets, decide, config, None, None, inputs)
    log = python.rebalance_orders
    assert (log.filled != log.ordered).any() and len(np.unique(python.orders.bar)) > 30
    _assert_equal(python, kernel)


@pytest.mark.parametrize(
    "how",
    ["closes", "cash_rate", "borrow_rate"],
)
def test_a_book_the_kernel_does_not_model_stays_in_python(monkeypatch, how):
    """Forced closes, a cash rate or a borrow fee keep the Python walk even when asked
    for the compiled one."""

    def refuse(*_, **__):
        raise AssertionError("compiled walk called")

    monkeypatch.setattr(module, "_compiled", refuse)
    open_, close, *_ = _market(5, 40, 3)
    targets, decide = _targets(5, 40, 3, True, 1.0)
    config = PortfolioConfig(1e5, allow_short=True)
    closes = None
    if how == "closes":
        closes = ForcedCloses(np.zeros(close.shape, dtype=bool), None)
    else:
        config = PortfolioConfig(1e5, allow_short=True, **{how: 0.05})
    result = simulate_portfolio(open_, close, targets, decide, config, closes, compiled=True)
    assert math.isfinite(result.equity[-1])
    with pytest.raises(AssertionError, match="compiled walk called"):
        simulate_portfolio(open_, close, targets, decide, PortfolioConfig(1e5), compiled=True)


def test_the_warm_up_compiles_the_one_signature_every_book_walks_with():
    """``engine.compiled.warm`` compiles the rebalancing walk, and a plain and a liquid
    book of other shapes both walk that one compiled signature (no second compile in a
    Job or a test worker)."""
    from engine import compiled
    from engine._rebalance_kernel import walk_rebalance

    compiled.warm_runs_and_portfolios()
    assert len(walk_rebalance.signatures) == 1
    open_, close, volume, sigma, adv, half = _market(8, 30, 4)
    targets, decide = _targets(8, 30, 4, False, 1.0)
    liquid = PortfolioConfig(1e6, volume_limit=0.1, slippage_model="square_root")
    inputs = PortfolioLiquidity(volume, sigma, adv, half)
    simulate_portfolio(open_, close, targets, decide, liquid, liquidity=inputs, compiled=True)
    simulate_portfolio(open_, close, targets, decide, PortfolioConfig(1e6), compiled=True)
    assert len(walk_rebalance.signatures) == 1
