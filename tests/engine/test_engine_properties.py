"""Engine invariants over random valid OHLCV, signals and trading parameters (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Bars, TradingParams, run, run_batch


@st.composite
def markets(draw):
    n = draw(st.integers(min_value=2, max_value=80))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    vol = draw(st.sampled_from([0.005, 0.03, 0.15]))
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    open_ = close * np.exp(rng.normal(0, vol / 2, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, vol, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, vol, n))
    bars = Bars(
        np.datetime64("2020-01-01", "s") + np.arange(n) * np.timedelta64(1, "D"),
        open_,
        high,
        low,
        close,
        rng.uniform(1e3, 1e6, n),
    )
    density = draw(st.sampled_from([0.05, 0.2, 0.5]))
    entries = rng.random(n) < density
    exits = rng.random(n) < density
    return bars, entries, exits


@st.composite
def trading_params(draw, costs: bool = False):
    """Trading parameters; with ``costs`` also any of the costs beyond ``fee_rate`` and the
    close at the end (engine 1.2.0)."""
    size_type = draw(st.sampled_from(["value", "percent"]))
    size = (
        draw(st.floats(min_value=1, max_value=100))
        if size_type == "percent"
        else draw(st.floats(min_value=10, max_value=500_000))
    )
    extra = draw(cost_fields()) if costs else {}
    return TradingParams(
        initial_capital=draw(st.floats(min_value=100, max_value=1e7)),
        fee_rate=draw(st.floats(min_value=0, max_value=0.05)),
        slippage_bps=draw(st.floats(min_value=0, max_value=200)),
        position_size=size,
        size_type=size_type,
        direction=draw(st.sampled_from(["longonly", "longshort"])),
        **extra,
    )


@st.composite
def cost_fields(draw):
    """Any of the costs beyond ``fee_rate`` (``None`` = not charged) and ``close_at_end``."""
    fee_min = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=20)))
    fee_max = draw(st.one_of(st.none(), st.floats(min_value=0, max_value=50)))
    if fee_max is not None and fee_min is not None and fee_max < fee_min:
        fee_max = fee_min
    return {
        "fee_fixed": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=50))),
        "fee_per_share": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=0.05))),
        "fee_min": fee_min,
        "fee_max": fee_max,
        "borrow_rate": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=0.5))),
        "close_at_end": draw(st.booleans()),
    }


@settings(max_examples=300, deadline=None)
@given(markets(), trading_params())
def test_cash_is_never_negative_and_equity_is_cash_plus_position_value(market, params):
    """On every bar: cash >= 0, whole shares, equity = cash + position × close."""
    bars, entries, exits = market
    res = run(bars, entries, exits, params)
    assert (res.cash >= 0).all()
    assert (res.position == np.round(res.position)).all()
    np.testing.assert_allclose(res.equity, res.cash + res.position * bars.close, rtol=1e-12)
    if params.direction == "longonly":
        assert (res.position >= 0).all()


@settings(max_examples=300, deadline=None)
@given(markets(), trading_params())
def test_no_fill_on_the_signal_bar_and_fees_are_never_negative(market, params):
    """Every fill happens the bar after the signal that caused it; fees are >= 0."""
    bars, entries, exits = market
    res = run(bars, entries, exits, params)
    opens_long = entries & ~exits
    opens_other = exits & ~entries
    for trade in res.trades:
        assert trade.entry_fee >= 0 and trade.exit_fee >= 0
        assert trade.entry_bar >= 1
        cause = opens_long if trade.direction == 1 else opens_other
        assert cause[trade.entry_bar - 1], "a fill must follow its signal by one bar"
        assert res.position[trade.entry_bar - 1] != trade.direction * trade.size
        if not trade.is_open and res.bust_bar != trade.exit_bar:
            closes = opens_other if trade.direction == 1 else opens_long
            assert closes[trade.exit_bar - 1]


@settings(max_examples=300, deadline=None)
@given(markets(), trading_params())
def test_trade_pnl_adds_up_to_the_change_in_equity(market, params):
    """Without a bust, final equity = initial capital + the sum of every trade's net PnL."""
    bars, entries, exits = market
    res = run(bars, entries, exits, params)
    if res.bust_bar is None:
        total = params.initial_capital + sum(t.pnl for t in res.trades)
        assert np.isclose(res.equity[-1], total, rtol=1e-9, atol=1e-6)
    assert res.metrics["num_trades"] == len(res.trades)


@settings(max_examples=100, deadline=None)
@given(st.lists(markets(), min_size=1, max_size=1), trading_params(), st.integers(2, 6))
def test_batch_rows_equal_single_runs_bit_for_bit(market_list, params, n_rows):
    """run_batch's metrics for row i are exactly run()'s metrics for the same signals."""
    bars, entries, exits = market_list[0]
    rng = np.random.default_rng(len(bars))
    rows_e = np.array([np.roll(entries, i) ^ (rng.random(len(bars)) < 0.1) for i in range(n_rows)])
    rows_x = np.array([np.roll(exits, -i) for i in range(n_rows)])
    batch = run_batch(bars, rows_e, rows_x, params)
    for i in range(n_rows):
        single = run(bars, rows_e[i], rows_x[i], params).metrics
        for name, value in single.items():
            got = batch.metrics[name][i]
            assert (value is None and np.isnan(got)) or value == got, name


@st.composite
def stops(draw):
    def maybe(low: float, high: float) -> float | None:
        return draw(st.one_of(st.none(), st.floats(min_value=low, max_value=high)))

    return {
        "stop_loss_pct": maybe(0.1, 50),
        "take_profit_pct": maybe(0.1, 200),
        "trailing_stop_pct": maybe(0.1, 50),
    }


@settings(max_examples=300, deadline=None)
@given(markets(), trading_params(), stops())
def test_stop_exits_fill_inside_their_bar_and_the_books_still_balance(market, params, stop):
    """With stops: equity = cash + position × close, PnL adds up, a stop's fill (slippage
    taken off) lies within its bar's low..high, and run_batch equals run."""
    import dataclasses

    bars, entries, exits = market
    params = dataclasses.replace(params, **stop)
    res = run(bars, entries, exits, params)
    np.testing.assert_allclose(res.equity, res.cash + res.position * bars.close, rtol=1e-12)
    if res.bust_bar is None:
        total = params.initial_capital + sum(t.pnl for t in res.trades)
        assert np.isclose(res.equity[-1], total, rtol=1e-9, atol=1e-6)
    slip = params.slippage_bps / 10_000
    for trade in res.trades:
        if trade.exit_reason in ("stop_loss", "take_profit", "trailing_stop"):
            raw = trade.exit_price / (1 - trade.direction * slip)
            bar = trade.exit_bar
            assert bars.low[bar] * (1 - 1e-12) <= raw <= bars.high[bar] * (1 + 1e-12)
    batch = run_batch(bars, entries[None], exits[None], params, keep_equity=True)
    assert batch.equity[0].tobytes() == res.equity.tobytes()
