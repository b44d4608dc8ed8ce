"""The broker's costs (engine 1.2.0; docs/execution.md, "Commissions and fees", "Short
borrow fee", "Open trades at the end"): small fixed cases computed by hand to the cent, the
sizing rule never overspending (the compiled kernels' equality with the numpy path with every
cost set is test_engine_compiled.py's)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings

from engine import Bars, EngineParamError, TradingParams, run
from tests.engine.test_engine_compiled import _market, _same
from tests.engine.test_engine_properties import markets, trading_params


def _bars(opens: list[float], closes: list[float] | None = None) -> Bars:
    closes = closes or opens
    n = len(opens)
    high = [max(o, c) for o, c in zip(opens, closes, strict=True)]
    low = [min(o, c) for o, c in zip(opens, closes, strict=True)]
    return Bars(np.arange(n).astype("datetime64[D]"), opens, high, low, closes, [1.0] * n)


def _signals(n: int, entries: tuple[int, ...], exits: tuple[int, ...]):
    entry, exit_ = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    entry[list(entries)] = True
    exit_[list(exits)] = True
    return entry, exit_


def _cents(value: float) -> float:
    return round(value, 2)


@pytest.mark.parametrize(
    ("capital", "budget", "fee_max", "shares", "fee", "pnl"),
    [
        # budget 1,000 at 10, 0.01 a share, at least 1: 100 shares would cost 1,000 + 1, so
        # 99 are bought (990 + max(0.99, 1) = 991); each side pays the minimum 1.00;
        # PnL = 99 × (12 − 10) − 1 − 1 = 196.00
        (10_000, 1_000, None, 99, 1.00, 196.00),
        # budget 50,000, at most 5: with the fee at its maximum 4,999 shares fit (49,990 +
        # 5 = 49,995), 5,000 do not (50,005); each side pays 5.00 (0.01 × 4,999 = 49.99,
        # capped); PnL = 4,999 × 2 − 10 = 9,988.00
        (100_000, 50_000, 5.0, 4_999, 5.00, 9_988.00),
    ],
    ids=["minimum", "maximum"],
)
def test_the_per_share_fee_is_bounded_by_its_minimum_and_maximum(
    capital, budget, fee_max, shares, fee, pnl
):
    """0.01 a share, at least 1 (and at most 5): the shares bought, the fee of each side
    and the PnL, computed by hand above."""
    bars = _bars([10.0, 10.0, 12.0, 12.0])
    params = TradingParams(
        initial_capital=capital,
        fee_rate=0.0,
        position_size=budget,
        fee_per_share=0.01,
        fee_min=1.0,
        fee_max=fee_max,
    )
    result = run(bars, *_signals(4, (0,), (1,)), params)
    (trade,) = result.trades
    assert (trade.size, _cents(trade.entry_fee), _cents(trade.exit_fee)) == (shares, fee, fee)
    assert _cents(trade.pnl) == pnl
    assert _cents(result.equity[-1]) == capital + pnl


def test_a_rate_a_fixed_fee_and_a_bounded_per_share_fee_add_up():
    """fee_rate 0.1%, 1 fixed, 0.005 a share within 1..10; budget 10,000 at 10. 998 shares:
    9,980 + 9.98 + 1 + 4.99 = 9,995.97 fits; 999 would cost 10,005.985. Entry fee 15.97;
    exit at 12: 11.976 + 1 + 4.99 = 17.966; PnL = 998 × 2 − 15.97 − 17.966 = 1,962.064."""
    bars = _bars([10.0, 10.0, 12.0, 12.0])
    params = TradingParams(
        initial_capital=10_000,
        fee_rate=0.001,
        position_size=10_000,
        fee_fixed=1.0,
        fee_per_share=0.005,
        fee_min=1.0,
        fee_max=10.0,
    )
    result = run(bars, *_signals(4, (0,), (1,)), params)
    (trade,) = result.trades
    assert trade.size == 998
    assert (_cents(trade.entry_fee), _cents(trade.exit_fee)) == (15.97, 17.97)
    assert trade.pnl == pytest.approx(1_962.064, abs=1e-9)
    assert _cents(result.trades.fees[0]) == _cents(15.97 + 17.966)


def test_a_short_pays_its_borrow_fee_at_each_close_it_is_held():
    """borrow_rate 25.2% over 252 bars a year = 0.1% of the short's value a close. Short 10
    at 100 (bar 1); closes 100 and 90 charge 1.00 and 0.90; covered at bar 3's open 90:
    PnL = 10 × 10 − 1.90 = 98.10. Equity: bar 1 = 10,000 + 1,000 − 1.00 − 1,000 = 9,999.00,
    bar 2 = 11,000 − 1.90 − 900 = 10,098.10; the long opened at bar 3 pays nothing."""
    bars = _bars([100.0, 100.0, 100.0, 90.0, 90.0], [100.0, 100.0, 90.0, 90.0, 90.0])
    params = TradingParams(
        initial_capital=10_000,
        fee_rate=0.0,
        position_size=1_000,
        direction="longshort",
        borrow_rate=0.252,
    )
    result = run(bars, *_signals(5, (2,), (0,)), params)
    short, long_ = result.trades
    assert (short.direction, short.size, long_.direction) == (-1, 10, 1)
    assert _cents(result.trades.borrow_fee[0]) == 1.90
    assert result.trades.borrow_fee[1] == 0.0
    assert _cents(short.pnl) == 98.10
    assert [_cents(v) for v in result.equity] == [10_000.00, 9_999.00, 10_098.10] + [10_098.10] * 2
    assert _cents(result.trades.fees.sum()) == 1.90


@pytest.mark.parametrize("max_entries", [1, 2], ids=["one position", "units"])
def test_an_on_close_short_pays_the_closes_it_is_held_into(max_entries):
    """docs/execution.md, "Short borrow fee": closes 10, 10, 8, 9, 9, 0.1 % a close,
    ``on_close`` entries. The exit on bar 1 sells 100 short at 10 (cash 101,000); it pays
    1.00 at close 1 (100 × 10 × 0.001, the close it is sold at) and 0.80 at close 2, none at
    close 3, where the entry buys it back at 9 and buys 111 long (999): borrow 1.80, PnL
    100 × 1 − 1.80 = 98.20, equity at close 3 = 101,000 − 1.80 − 900 = 100,098.20 (cash
    99,099.20 + 999). The same with one position and with units (``max_entries`` 2)."""
    bars = _bars([10.0, 10.0, 10.0, 8.0, 9.0], [10.0, 10.0, 8.0, 9.0, 9.0])
    params = TradingParams(
        initial_capital=100_000,
        fee_rate=0.0,
        position_size=1_000,
        direction="longshort",
        borrow_rate=0.252,
        entry_type="on_close",
        max_entries=max_entries,
    )
    result = run(bars, *_signals(5, (3,), (1,)), params)
    short, long_ = result.trades
    assert (short.direction, short.size, short.entry_bar, short.exit_bar) == (-1, 100, 1, 3)
    assert (long_.direction, long_.size) == (1, 111)
    assert _cents(result.trades.borrow_fee[0]) == 1.80
    assert _cents(short.pnl) == 98.20
    assert [_cents(v) for v in result.equity] == [
        100_000.00,
        99_999.00,
        100_198.20,
        100_098.20,
        100_098.20,
    ]


def test_the_borrow_fee_follows_the_run_s_bars_per_year():
    """The same short on hourly bars (1,764 a year) pays 252 / 1,764 of the daily charge."""
    bars = _bars([100.0, 100.0, 100.0, 90.0, 90.0], [100.0, 100.0, 90.0, 90.0, 90.0])
    daily = TradingParams(
        initial_capital=10_000, fee_rate=0.0, position_size=1_000, direction="longshort",
        borrow_rate=0.252,
    )  # fmt: skip
    hourly = dataclasses.replace(daily, bars_per_year=1_764.0)
    fee = run(bars, *_signals(5, (2,), (0,)), hourly).trades.borrow_fee[0]
    assert fee == pytest.approx(1.90 * 252 / 1_764, rel=1e-12)


def test_a_long_run_pays_no_borrow_fee_and_keeps_its_numbers():
    """``borrow_rate`` on a long-only run changes nothing but the reported (zero) column."""
    bars, entries, exits = _market(300, 7, 0.05, 1)
    plain = TradingParams(position_size=100, size_type="percent")
    borrowing = dataclasses.replace(plain, borrow_rate=0.1)
    a, b = run(bars, entries[0], exits[0], plain), run(bars, entries[0], exits[0], borrowing)
    assert _same(a.equity, b.equity) and a.trades == b.trades
    assert a.trades.borrow_fee is None and not b.trades.borrow_fee.any()


def test_closing_at_the_end_sells_at_the_last_open_with_slippage_and_the_fee():
    """Long 99 from bar 1 at 10; at the end it is sold at the last open 13 less 10 bps
    (12.987), paying 0.1% + 2 fixed: 1.2857 + 2 = 3.29; the last bar's equity is cash."""
    bars = _bars([10.0, 10.0, 12.0, 13.0], [10.0, 11.0, 12.0, 14.0])
    params = TradingParams(
        initial_capital=1_000,
        fee_rate=0.001,
        slippage_bps=10,
        position_size=100,
        size_type="percent",
        fee_fixed=2.0,
        close_at_end=True,
    )
    result = run(bars, *_signals(4, (0,), ()), params)
    (trade,) = result.trades
    assert (trade.exit_bar, trade.exit_reason, trade.is_open) == (3, "closed_at_end", False)
    assert trade.exit_price == pytest.approx(12.987, abs=1e-12)
    assert _cents(trade.exit_fee) == _cents(trade.size * 12.987 * 0.001 + 2.0)
    assert result.position[-1] == 0 and result.equity[-1] == result.cash[-1]
    assert result.equity[-1] == pytest.approx(
        result.cash[-2] + trade.size * 12.987 - trade.exit_fee
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fee_fixed": -1.0}, "fee_fixed"),
        ({"fee_per_share": -0.01}, "fee_per_share"),
        ({"fee_min": -1.0}, "fee_min"),
        ({"fee_max": -1.0}, "fee_max"),
        ({"fee_min": 2.0, "fee_max": 1.0}, "fee_max"),
        ({"borrow_rate": 1.0}, "borrow_rate"),
        ({"fee_fixed": float("nan")}, "fee_fixed"),
    ],
)
def test_a_cost_outside_its_domain_is_refused_naming_it(fields, field):
    """The engine checks each cost against its spec (and fee_max against fee_min)."""
    with pytest.raises(EngineParamError) as caught:
        TradingParams(**fields)
    assert caught.value.field == field


@settings(max_examples=150, deadline=None)
@given(markets(), trading_params(costs=True))
def test_an_order_never_spends_more_cash_than_there_is(market, params):
    """With fees of every kind a long-only run's cash never goes below 0 (the sizing rule)."""
    bars, entries, exits = market
    params = dataclasses.replace(params, direction="longonly")
    res = run(bars, entries, exits, params)
    assert (res.cash >= 0).all()
    assert (res.position == np.round(res.position)).all()
