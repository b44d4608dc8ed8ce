"""The market-if-touched entry order (docs/execution.md, "Entry orders"): an order at a touch
price that becomes a market order on the bar whose range touches it and fills at that bar's
close, by hand; in the broker step's batch pass on one core and over the cores, and the
units walk alike."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Bars, TradingParams, compiled, run, run_batch

OPEN = [10.0, 10.0, 9.8, 9.9, 10.5, 10.4]
HIGH = [10.2, 10.1, 10.0, 10.2, 10.8, 10.6]
LOW = [9.8, 9.5, 8.8, 9.7, 10.3, 10.1]
CLOSE = [10.0, 9.9, 9.6, 10.1, 10.6, 10.2]


def _bars() -> Bars:
    days = np.arange(len(OPEN)).astype("datetime64[D]")
    return Bars(days, OPEN, HIGH, LOW, CLOSE, [1.0] * len(OPEN))


def _signal(*bars: int) -> np.ndarray:
    flags = np.zeros(len(OPEN), dtype=bool)
    flags[list(bars)] = True
    return flags


def _params(**fields) -> TradingParams:
    base = {"fee_rate": 0.0, "position_size": 960.0, "entry_type": "market_if_touched"}
    return TradingParams(**{**base, **fields})


def test_a_buy_fills_at_the_close_of_the_bar_that_touches_its_price():
    """Entry on bar 0, touch 9: bar 1's low 9.5 does not touch, bar 2's low 8.8 does; the
    order becomes a market order and fills at bar 2's close 9.6 (a limit at 9 would have
    filled at 9): 100 shares of 960, marked 10.1 then 10.6 then 10.2."""
    result = run(_bars(), _signal(0), _signal(), _params(valid_bars=3), limit=np.full(6, 9.0))
    (trade,) = result.trades
    assert (trade.entry_bar, trade.entry_price, trade.size) == (2, 9.6, 100)
    assert result.orders.status.tolist() == [1] and result.orders.fill_bar.tolist() == [2]
    assert result.equity.tolist() == [1e5, 1e5, 1e5, 100_050.0, 100_100.0, 100_060.0]
    limit = run(_bars(), _signal(0), _signal(), _params(entry_type="limit", valid_bars=3),
                limit=np.full(6, 9.0))  # fmt: skip
    assert limit.trades[0].entry_price == 9.0


def test_a_short_sale_fills_at_the_close_of_the_bar_whose_high_touches_it():
    """``longshort``: the exit on bar 2 places a sell at 10.15; bar 3's high 10.2 touches it:
    sold short at bar 3's close 10.1 less 10 bps of slippage."""
    params = _params(direction="longshort", slippage_bps=10.0, valid_bars=2)
    result = run(_bars(), _signal(), _signal(2), params, limit=np.full(6, 10.15))
    (trade,) = result.trades
    assert (trade.direction, trade.entry_bar) == (-1, 3)
    assert trade.entry_price == pytest.approx(10.1 * (1 - 0.001), rel=0, abs=1e-12)


def test_an_order_no_bar_touches_expires():
    result = run(_bars(), _signal(0), _signal(), _params(valid_bars=1), limit=np.full(6, 9.0))
    assert len(result.trades) == 0
    assert result.orders.status.tolist() == [2]  # expired


def test_units_each_buy_at_the_close_of_their_touch_bar():
    """``max_entries`` 2: entries on bars 0 and 2 at touch 9.9, then 10.35: the first is
    touched by bar 1's low 9.5 and fills at its close 9.9, the second (placed at bar 2's
    close) by bar 3's low 9.7 and fills at its close 10.1: two units."""
    touch = np.array([9.9, 9.9, 10.35, 10.35, 10.35, 10.35])
    params = _params(max_entries=2, valid_bars=3)
    result = run(_bars(), _signal(0, 2), _signal(), params, limit=touch)
    entries = sorted((t.entry_bar, t.entry_price) for t in result.trades)
    assert entries == [(1, 9.9), (3, 10.1)]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["longonly", "longshort"]))
def test_the_batch_pass_over_the_cores_equals_it_on_one_core(seed, direction):
    rng = np.random.default_rng(seed)
    n = 40
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    open_ = close * np.exp(rng.normal(0, 0.01, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n))
    bars = Bars(np.arange(n).astype("datetime64[D]"), open_, high, low, close, np.ones(n))
    entries, exits = rng.random((4, n)) < 0.2, rng.random((4, n)) < 0.2
    touch = close * (1 + rng.normal(0, 0.02, (4, n)))
    params = _params(direction=direction, valid_bars=3, stop_loss_pct=3.0, borrow_rate=0.1)
    one_core = run_batch(bars, entries, exits, params, keep_equity=True, limit=touch)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled, "MIN_BAR_UPDATES", 0)
        cores = run_batch(bars, entries, exits, params, keep_equity=True, limit=touch)
    np.testing.assert_array_equal(cores.equity, one_core.equity)
    for name, values in one_core.metrics.items():
        np.testing.assert_array_equal(cores.metrics[name], values, err_msg=name)
