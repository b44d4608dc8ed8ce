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


def runs_with_another_future(bars: Bars, entries, exits, params: TradingParams, t: int, rng):
    """(the run of ``entries``/``exits`` on ``bars``, the same run with the bars, signals
    and order prices after ``t`` drawn again from ``rng``)."""
    future = _after(bars, t, rng)
    changed_entries = np.r_[entries[: t + 1], rng.random(N_BARS - t - 1) < 0.3]
    changed_exits = np.r_[exits[: t + 1], rng.random(N_BARS - t - 1) < 0.3]
    return _run(bars, entries, exits, params), _run(future, changed_entries, changed_exits, params)


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
    base, other = runs_with_another_future(bars, entries, exits, params, t, rng)

    np.testing.assert_array_equal(base.equity[: t + 1], other.equity[: t + 1])
    assert _fills_up_to(base, t) == _fills_up_to(other, t)
    assert _orders_up_to(base, t) == _orders_up_to(other, t)


EXIT = "crossunder(close, sma(close, 10)) or bars_held >= $n or max_open_return - open_return >= $g"
SIZE = "0.01 * equity / (2 * atr(14))"


def _walked(bars: Bars, entries, params: TradingParams, n: int, g: float):
    """A run of ``entries`` with the position-aware exit ``EXIT`` and the ATR size ``SIZE``,
    their series computed on ``bars`` as the strategy language computes them."""
    from rules import generate_signals_batch, position_exits, validate_rule
    from rules.size_expr import check_size, size_at

    rule = validate_rule("EXPR", {"entry": "volume > 1", "exit": EXIT, "n": n, "g": g})[1]
    cache: dict = {}
    with_entries = Bars(bars.timestamps, bars.open, bars.high, bars.low, bars.close, 1.0 + entries)
    _, exits = generate_signals_batch("EXPR", [rule], with_entries, cache, validated=True)
    held = position_exits("EXPR", [rule], with_entries, slice(0, N_BARS), cache)
    size = size_at(SIZE, bars, check_size(SIZE, None), slice(0, N_BARS))
    prices = {"limit": bars.close * 0.98, "stop": bars.close * 1.02}
    return run(bars, entries, exits[0], params, position_exit=held[0], size=size, **prices)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10**6),
    t=st.integers(5, N_BARS - 3),
    kind=st.sampled_from(["limit", "stop", "stop_limit", "on_close"]),
    direction=st.sampled_from(["longonly", "longshort"]),
    valid_bars=st.integers(1, 6),
    n=st.integers(0, 8),
    g=st.floats(0.5, 5.0),
)
def test_with_a_position_exit_and_a_size_the_future_changes_nothing_up_to_t(
    seed, t, kind, direction, valid_bars, n, g
):
    """The same property for a run whose exit names the open long (a time and a give-back
    exit) and whose orders are sized by an ATR of equity: the exit is read on closes up to
    t, the size on the signal bar's close."""
    rng = np.random.default_rng(seed)
    bars = _random_bars(rng, N_BARS)
    entries = rng.random(N_BARS) < 0.15
    params = TradingParams(
        entry_type=kind,
        valid_bars=valid_bars,
        direction=direction,
        fee_rate=0.001,
        slippage_bps=5,
        size_unit="shares",
        borrow_rate=0.05,
    )
    future = _after(bars, t, rng)
    changed_entries = np.r_[entries[: t + 1], rng.random(N_BARS - t - 1) < 0.3]

    base = _walked(bars, entries, params, n, g)
    other = _walked(future, changed_entries, params, n, g)

    np.testing.assert_array_equal(base.equity[: t + 1], other.equity[: t + 1])
    assert _fills_up_to(base, t) == _fills_up_to(other, t)
    assert _orders_up_to(base, t) == _orders_up_to(other, t)
