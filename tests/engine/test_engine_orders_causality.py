"""No look-ahead in the entry-order walk: changing the bars, signals and order prices after
bar t leaves every order placed up to t, every fill up to t and the equity up to t as they
were (docs/execution.md, "Entry orders": an order is placed at its signal bar's close and
fills only inside later bars)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Bars, TradingParams, run
from tests.engine.test_engine_orders import _random_bars

N_BARS = 120


def _after(bars: Bars, t: int, rng: np.random.Generator) -> Bars:
    """``bars`` with every bar after ``t`` redrawn (a different future)."""
    other = _random_bars(rng, N_BARS)
    scale = bars.close[t] / other.close[t]
    cols = [np.r_[getattr(bars, c)[: t + 1], getattr(other, c)[t + 1 :] * scale]
            for c in ("open", "high", "low", "close")]  # fmt: skip
    return Bars(bars.timestamps, *cols, np.ones(N_BARS))


def _run(bars: Bars, entries, exits, params: TradingParams):
    """A run whose order prices are computed causally from each bar (2 % under and over
    its close), as the strategy language computes them."""
    return run(bars, entries, exits, params, limit=bars.close * 0.98, stop=bars.close * 1.02)


def _fills_up_to(result, t: int) -> list[tuple]:
    """What the trades say happened on bars up to ``t``."""
    out = []
    for trade in result.trades:
        if trade.entry_bar <= t:
            out.append(("in", trade.entry_bar, trade.entry_price, trade.size, trade.direction))
        if trade.exit_bar is not None and trade.exit_bar <= t and not trade.is_open:
            out.append(("out", trade.exit_bar, trade.exit_price, trade.exit_reason))
    return out


def _orders_up_to(result, t: int) -> list[tuple]:
    """Every order placed up to ``t``, with its fill when it filled up to ``t``."""
    orders = result.orders
    out = []
    for k in range(len(orders.signal_bar)):
        if orders.signal_bar[k] > t:
            continue
        filled = orders.fill_bar[k] != -1 and orders.fill_bar[k] <= t
        fill = (int(orders.fill_bar[k]), float(orders.price[k])) if filled else None
        prices = (float(orders.limit[k]), float(orders.stop[k]))
        out.append((int(orders.signal_bar[k]), int(orders.side[k]), repr(prices), fill))
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    t=st.integers(5, N_BARS - 3),
    kind=st.sampled_from(["limit", "stop", "stop_limit", "on_close"]),
    direction=st.sampled_from(["longonly", "longshort"]),
    valid_bars=st.integers(1, 6),
    stops=st.sampled_from([(None, None), (3.0, 6.0)]),
    close_at_end=st.booleans(),
)
def test_the_future_never_changes_orders_fills_or_equity_up_to_t(
    seed, t, kind, direction, valid_bars, stops, close_at_end
):
    rng = np.random.default_rng(seed)
    bars = _random_bars(rng, N_BARS)
    entries, exits = rng.random(N_BARS) < 0.12, rng.random(N_BARS) < 0.12
    params = TradingParams(
        entry_type=kind,
        valid_bars=valid_bars,
        direction=direction,
        stop_loss_pct=stops[0],
        take_profit_pct=stops[1],
        fee_rate=0.001,
        fee_fixed=1.0,
        slippage_bps=5,
        close_at_end=close_at_end,
    )
    future = _after(bars, t, rng)
    changed_entries = np.r_[entries[: t + 1], rng.random(N_BARS - t - 1) < 0.3]
    changed_exits = np.r_[exits[: t + 1], rng.random(N_BARS - t - 1) < 0.3]

    base = _run(bars, entries, exits, params)
    other = _run(future, changed_entries, changed_exits, params)

    np.testing.assert_array_equal(base.equity[: t + 1], other.equity[: t + 1])
    assert _fills_up_to(base, t) == _fills_up_to(other, t)
    assert _orders_up_to(base, t) == _orders_up_to(other, t)
