"""No look-ahead in the units walk (docs/execution.md, "Scaling in and out"): changing the
bars, the signals and the order prices after bar t leaves the equity up to t, what every
unit bought up to t and every sale up to t as they were, with pyramiding, partial exits,
per-unit stops, a partial take-profit and every entry order type, long only and long-short.

A unit's trade records are not compared as such: a sale after t splits a unit bought
before it into two records, so what is compared is the shares each bar up to t bought
(summed over its unit's records) and the sales made up to t."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import TradingParams
from tests.engine.test_engine_orders import _random_bars
from tests.engine.test_engine_orders_causality import (
    N_BARS,
    _orders_up_to,
    runs_with_another_future,
)


def _bought_up_to(result, t: int) -> Counter:
    """The shares bought on each bar up to ``t``, by (bar, price, side)."""
    bought: Counter = Counter()
    for trade in result.trades:
        if trade.entry_bar <= t:
            bought[(trade.entry_bar, trade.entry_price, trade.direction)] += trade.size
    return bought


def _sold_up_to(result, t: int) -> list[tuple]:
    """Every sale made up to ``t``: (bar, price, reason, shares, its unit's entry bar)."""
    return sorted(
        (trade.exit_bar, trade.exit_price, trade.exit_reason, trade.size, trade.entry_bar)
        for trade in result.trades
        if not trade.is_open and trade.exit_bar <= t
    )


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    t=st.integers(5, N_BARS - 3),
    kind=st.sampled_from(["market", "limit", "stop", "stop_limit", "on_close"]),
    direction=st.sampled_from(["longonly", "longshort"]),
    max_entries=st.integers(1, 4),
    exit_fraction=st.sampled_from([1.0, 0.5, 0.3]),
    stops=st.sampled_from([(None, None, None, 1.0), (3.0, 6.0, None, 0.5), (None, 5.0, 4.0, 0.4)]),
    close_at_end=st.booleans(),
)
def test_the_future_never_changes_what_the_units_did_up_to_t(
    seed, t, kind, direction, max_entries, exit_fraction, stops, close_at_end
):
    stop_loss, take_profit, trailing, take_part = stops
    rng = np.random.default_rng(seed)
    bars = _random_bars(rng, N_BARS)
    entries, exits = rng.random(N_BARS) < 0.2, rng.random(N_BARS) < 0.12
    params = TradingParams(
        entry_type=kind,
        direction=direction,
        max_entries=max_entries,
        exit_fraction=exit_fraction,
        stop_loss_pct=stop_loss,
        take_profit_pct=take_profit,
        trailing_stop_pct=trailing,
        take_profit_fraction=take_part,
        size_type="percent",
        position_size=30,
        fee_rate=0.001,
        fee_fixed=1.0,
        slippage_bps=5,
        close_at_end=close_at_end,
    )
    base, other = runs_with_another_future(bars, entries, exits, params, t, rng)

    np.testing.assert_array_equal(base.equity[: t + 1], other.equity[: t + 1])
    assert _bought_up_to(base, t) == _bought_up_to(other, t)
    assert _sold_up_to(base, t) == _sold_up_to(other, t)
    if kind not in ("market", "on_close"):
        assert _orders_up_to(base, t) == _orders_up_to(other, t)
