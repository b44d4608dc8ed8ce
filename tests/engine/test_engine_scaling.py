"""Scaling in and out (docs/execution.md, "Scaling in and out"): hand-computed units and
partial closes with every order and position feature, bad values, and batch rows equal to
their runs alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Bars, EngineParamError, TradingParams, run, run_batch

OPENS = [10.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0]


def _bars() -> Bars:
    prices = np.array(OPENS)
    return Bars(np.arange(10).astype("datetime64[D]"), prices, prices, prices, prices, np.ones(10))


def _signals(entry_bars: list[int], exit_bars: list[int]) -> tuple[np.ndarray, np.ndarray]:
    entries, exits = np.zeros(10, dtype=bool), np.zeros(10, dtype=bool)
    entries[entry_bars] = True
    exits[exit_bars] = True
    return entries, exits


def _trades(result) -> list[tuple]:
    return [
        (t.entry_bar, t.exit_bar, t.size, t.entry_price, t.pnl, t.exit_reason)
        for t in result.trades
    ]


def test_three_units_pyramided_on_entry_bars_then_closed_by_one_exit():
    """Entries on bars 0-3 with max_entries 3: units of 1,000 at the opens of bars 1, 2, 3
    (100, 90, 83 shares); the fourth entry bar adds none; the exit on bar 5 sells all at 15."""
    entries, exits = _signals([0, 1, 2, 3], [5])
    params = TradingParams(fee_rate=0.0, position_size=1000, max_entries=3)
    result = run(_bars(), entries, exits, params)
    assert _trades(result) == [
        (1, 6, 100, 10.0, 500.0, "signal"),
        (2, 6, 90, 11.0, 360.0, "signal"),
        (3, 6, 83, 12.0, 249.0, "signal"),
    ]
    assert result.position.tolist() == [0, 100, 190, 273, 273, 273, 0, 0, 0, 0]
    assert result.equity[-1] == 100_000 + 500 + 360 + 249
    assert result.metrics["num_trades"] == 3


def test_exit_fraction_one_half_twice_splits_the_unit_and_leaves_a_quarter_open():
    """One unit of 100 shares at 10; exits on bars 3 and 5 sell round(100 × 0.5) = 50 at 13,
    then round(50 × 0.5) = 25 at 15; 25 shares stay open, marked at the last close."""
    entries, exits = _signals([0], [3, 5])
    params = TradingParams(fee_rate=0.0, position_size=1000, exit_fraction=0.5)
    result = run(_bars(), entries, exits, params)
    assert _trades(result) == [
        (1, 4, 50, 10.0, 150.0, "signal"),
        (1, 6, 25, 10.0, 125.0, "signal"),
        (1, 9, 25, 10.0, 200.0, "end"),
    ]
    assert result.trades[-1].is_open
    assert result.position.tolist()[-1] == 25
    assert result.equity[-1] == 100_000 - 1000 + 50 * 13 + 25 * 15 + 25 * 18


def test_a_partial_close_sells_each_unit_rounding_halves_to_even_and_splits_the_entry_fee():
    """Units of 100 and 90 shares, fraction 0.25: 25 and round(22.5) = 22 shares sold (as
    backtesting.py's position.close(portion)); each part keeps its share of the entry fee."""
    entries, exits = _signals([0, 1], [4])
    params = TradingParams(fee_rate=0.001, position_size=1002, max_entries=2, exit_fraction=0.25)
    result = run(_bars(), entries, exits, params)
    sold = [(t.entry_bar, t.size) for t in result.trades if not t.is_open]
    assert sold == [(1, 25), (2, 22)]
    first = result.trades[0]
    assert math.isclose(first.entry_fee, 25 * 10.0 * 0.001)
    assert math.isclose(first.exit_fee, 25 * 14.0 * 0.001)


def test_close_at_end_closes_every_unit_at_the_last_open():
    entries, exits = _signals([0, 1], [])
    params = TradingParams(fee_rate=0.0, position_size=1000, max_entries=2, close_at_end=True)
    result = run(_bars(), entries, exits, params)
    assert [(t.entry_bar, t.exit_bar, t.exit_reason) for t in result.trades] == [
        (1, 9, "closed_at_end"),
        (2, 9, "closed_at_end"),
    ]
    assert result.position[-1] == 0
    assert result.equity[-1] == 100_000 + 100 * 8 + 90 * 7


def test_default_fields_leave_a_run_unchanged():
    entries, exits = _signals([0, 1, 2], [5])
    plain = run(_bars(), entries, exits, TradingParams())
    same = run(_bars(), entries, exits, TradingParams(max_entries=1, exit_fraction=1))
    assert plain.equity.tobytes() == same.equity.tobytes()
    assert _trades(plain) == _trades(same)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"max_entries": 0}, "max_entries"),
        ({"max_entries": 101}, "max_entries"),
        ({"max_entries": 2.0}, "max_entries"),
        ({"max_entries": True}, "max_entries"),
        ({"exit_fraction": 0.0}, "exit_fraction"),
        ({"exit_fraction": 1.5}, "exit_fraction"),
        ({"exit_fraction": math.nan}, "exit_fraction"),
    ],
)
def test_bad_values_name_the_field(values, field):
    with pytest.raises(EngineParamError) as raised:
        TradingParams(**values)
    assert raised.value.field == field


def test_a_batch_row_equals_its_run_alone_and_one_pass_refuses_scaling():
    rng = np.random.default_rng(7)
    entries, exits = rng.random((3, 10)) < 0.4, rng.random((3, 10)) < 0.3
    params = TradingParams(fee_rate=0.001, position_size=3000, max_entries=3, exit_fraction=0.5)
    batch = run_batch(_bars(), entries, exits, params, keep_equity=True)
    for row in range(3):
        alone = run(_bars(), entries[row], exits[row], params)
        assert batch.equity[row].tobytes() == alone.equity.tobytes()
        assert batch.metrics["num_trades"][row] == alone.metrics["num_trades"]
    with pytest.raises(ValueError, match="scaling"):
        run_batch(_bars(), entries, exits, params, one_pass=True)


def _ohlc_bars(rows: list[tuple[float, float, float, float]]) -> Bars:
    o, h, low, c = (np.array(column) for column in zip(*rows, strict=True))
    return Bars(np.arange(len(rows)).astype("datetime64[D]"), o, h, low, c, np.ones(len(rows)))


STOP_BARS = [
    (10.0, 10.0, 10.0, 10.0),
    (10.0, 10.5, 9.8, 10.0),  # unit 1: 100 at 10, SL 9.5, TP 13
    (11.0, 11.2, 10.8, 11.0),  # unit 2: 90 at 11, SL 10.45, TP 14.3
    (12.0, 12.5, 11.5, 12.0),  # unit 3: 83 at 12, SL 11.4, TP 15.6
    (11.0, 11.2, 10.2, 11.0),  # unit 3 gaps through its SL (11), unit 2 hits its SL (10.45)
    (12.0, 13.5, 11.9, 12.5),  # unit 4 at 12; unit 1 reaches its TP (13)
    (12.5, 12.5, 12.5, 12.5),
    (13.0, 13.0, 13.0, 13.0),
]


def test_each_unit_is_stopped_on_its_own_levels_and_a_standing_entry_adds_a_unit_again():
    """Stop-loss 5 % and take-profit 30 % of each unit's own fill: bar 4 opens at 11 below
    unit 3's stop (11.4: sold at the open) and its low reaches unit 2's (10.45), unit 1
    (stop 9.5) stays; bar 5's high reaches unit 1's take-profit (13). The entry on bar 4
    (after its stops) adds a unit at bar 5's open, which is still held at the end."""
    entries, exits = np.zeros(8, dtype=bool), np.zeros(8, dtype=bool)
    entries[[0, 1, 2, 4]] = True
    params = TradingParams(
        fee_rate=0.0, position_size=1000, max_entries=3, stop_loss_pct=5, take_profit_pct=30
    )
    result = run(_ohlc_bars(STOP_BARS), entries, exits, params)
    got = [(t.entry_bar, t.exit_bar, t.size, t.exit_price, t.exit_reason) for t in result.trades]
    assert got == [
        (1, 5, 100, 13.0, "take_profit"),
        (2, 4, 90, pytest.approx(10.45), "stop_loss"),
        (3, 4, 83, 11.0, "stop_loss"),
        (5, 7, 83, 13.0, "end"),
    ]
    assert result.position.tolist() == [0, 100, 190, 273, 100, 83, 83, 83]
    pnl = 100 * 3.0 + 90 * (10.45 - 11) + 83 * (11 - 12.0) + 83 * 1.0
    assert result.equity[-1] == pytest.approx(100_000 + pnl, abs=1e-9)


def test_a_signal_sale_comes_before_the_stops_and_the_rest_keeps_its_levels():
    """One unit of 100 at 10 with a 5 % stop-loss (9.5); the exit on bar 3 sells half at
    bar 4's open (11), then bar 4's low (9.4) reaches the stop: the other 50 go at 9.5."""
    rows = [(10.0, 10.0, 10.0, 10.0), (10.0, 10.2, 9.9, 10.0), (10.5, 10.6, 10.4, 10.5)]
    rows += [(11.0, 11.0, 11.0, 11.0), (11.0, 11.0, 9.4, 9.6), (9.6, 9.6, 9.6, 9.6)]
    entries, exits = np.zeros(6, dtype=bool), np.zeros(6, dtype=bool)
    entries[0], exits[3] = True, True
    params = TradingParams(fee_rate=0.0, position_size=1000, exit_fraction=0.5, stop_loss_pct=5)
    result = run(_ohlc_bars(rows), entries, exits, params)
    got = [(t.entry_bar, t.exit_bar, t.size, t.exit_price, t.exit_reason) for t in result.trades]
    assert got == [(1, 4, 50, 11.0, "signal"), (1, 4, 50, 9.5, "stop_loss")]
    assert result.equity[-1] == 100_000 + 50 * 1.0 - 50 * 0.5


TAKE_PROFIT_BARS = [
    (10.0, 10.0, 10.0, 10.0),
    (10.0, 10.4, 9.9, 10.2),  # 99 shares at 10: SL 9.5, TP 11, trailing from 9.5
    (10.5, 11.5, 10.4, 11.2),  # the TP (11) sells 30; the rest's trail ratchets to 10.925
]


def test_a_partial_take_profit_sells_its_part_and_the_rest_is_stopped_later_to_the_cent():
    """fee_rate 0.001, 1,000 a unit: 99 shares at 10 (fee 0.99). Bar 2 reaches the 10 %
    take-profit: round(99 × 0.3) = 30 shares at 11 (fee 0.33); the 69 left keep the 5 %
    stop-loss and no take-profit, and bar 4's low sells them at 9.5 (fee 0.6555)."""
    rows = [*TAKE_PROFIT_BARS, (11.2, 12.5, 11.0, 12.4), (12.4, 12.6, 9.0, 9.2), (9.2,) * 4]
    entries, exits = np.zeros(6, dtype=bool), np.zeros(6, dtype=bool)
    entries[0] = True
    params = TradingParams(
        fee_rate=0.001,
        position_size=1000,
        stop_loss_pct=5,
        take_profit_pct=10,
        take_profit_fraction=0.3,
    )
    assert params.scales
    result = run(_ohlc_bars(rows), entries, exits, params)
    got = [
        (t.entry_bar, t.exit_bar, t.size, t.exit_price, t.exit_reason, round(t.pnl, 4))
        for t in result.trades
    ]
    assert got == [
        (1, 2, 30, 11.0, "take_profit", 29.37),
        (1, 4, 69, 9.5, "stop_loss", -35.8455),
    ]
    assert result.position.tolist() == [0, 99, 69, 69, 0, 0]
    assert round(result.equity[2], 4) == 99_338.68 + 69 * 11.2
    assert round(result.equity[-1], 4) == 99_993.5245


def test_the_rest_after_a_partial_take_profit_trails_from_that_bar_s_high():
    """A 5 % trailing stop: the take-profit bar's high (11.5) moves the rest's level to
    10.925, which bar 3's low (10.9) reaches."""
    rows = [*TAKE_PROFIT_BARS, (11.2, 11.3, 10.9, 11.0), (11.0,) * 4]
    entries, exits = np.zeros(5, dtype=bool), np.zeros(5, dtype=bool)
    entries[0] = True
    params = TradingParams(
        fee_rate=0.0,
        position_size=1000,
        trailing_stop_pct=5,
        take_profit_pct=10,
        take_profit_fraction=0.5,
    )
    result = run(_ohlc_bars(rows), entries, exits, params)
    got = [(t.exit_bar, t.size, t.exit_price, t.exit_reason) for t in result.trades]
    assert got == [(2, 50, 11.0, "take_profit"), (3, 50, pytest.approx(10.925), "trailing_stop")]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"take_profit_fraction": 0.5}, "take_profit_fraction"),
        ({"take_profit_fraction": 0.0, "take_profit_pct": 5.0}, "take_profit_fraction"),
        ({"take_profit_fraction": 1.2, "take_profit_pct": 5.0}, "take_profit_fraction"),
        ({"take_profit_fraction": "0.5", "take_profit_pct": 5.0}, "take_profit_fraction"),
    ],
)
def test_a_take_profit_fraction_needs_a_take_profit_and_its_domain(values, field):
    with pytest.raises(EngineParamError) as raised:
        TradingParams(**values)
    assert raised.value.field == field


def test_a_fraction_size_series_sizes_each_unit_on_the_equity_at_its_open_within_the_cash():
    """Size 0.3 of equity, no fee, entries on bars 0-3: 3,000 shares at 10 (30,000 of
    100,000); at 11 the equity is 70,000 + 3,000 × 11 = 103,000: 2,809 shares (30,900 / 11);
    at 12 it is 39,101 + 5,809 × 12 = 108,809: 2,720 shares; at 13, 0.3 of 117,338 is more
    than the 6,461 of cash left, which buys 497."""
    entries, exits = _signals([0, 1, 2, 3], [6])
    seen: list[tuple[int, float]] = []

    def size(bar: int, equity: float) -> float:
        seen.append((bar, equity))
        return 0.3

    params = TradingParams(fee_rate=0.0, max_entries=4, size_unit="fraction")
    result = run(_bars(), entries, exits, params, size=size)
    assert [(t.entry_bar, t.size, t.entry_price) for t in result.trades] == [
        (1, 3000, 10.0),
        (2, 2809, 11.0),
        (3, 2720, 12.0),
        (4, 497, 13.0),
    ]
    assert seen == [(0, 100_000.0), (1, 100_000.0), (2, 103_000.0), (3, 108_809.0)]
    assert result.metrics["num_trades"] == 4


def test_a_share_size_series_sizes_each_unit_and_an_undefined_size_adds_none():
    """Shares 0.005 × the signal bar's equity (no fee): 500 at 10, 500 at 11 (the equity at
    bar 1's close is still 100,000), none for bar 2's NaN, then 0.005 × (89,500 + 1,000 ×
    12) = 507.5 → 507 at 13 (bar 4's open)."""
    entries, exits = _signals([0, 1, 2, 3], [])

    def size(bar: int, equity: float) -> float:
        return math.nan if bar == 2 else 0.005 * equity

    params = TradingParams(fee_rate=0.0, max_entries=4, size_unit="shares")
    result = run(_bars(), entries, exits, params, size=size)
    assert [(t.entry_bar, t.size) for t in result.trades] == [(1, 500), (2, 500), (4, 507)]


EVENT_OPENS = [10.0, 10.0, 11.0, 11.2, 7.5, 7.6, 8.0, 8.0]


def _event_run(split_bar: int, ratio: float, actions_extra: dict, exit_bars: list[int]):
    from engine import CorporateActions

    split, dividend = np.ones(8), np.zeros(8)
    split[split_bar] = ratio
    for bar, amount in actions_extra.get("dividends", {}).items():
        dividend[bar] = amount
    actions = CorporateActions(split, dividend, actions_extra.get("delisting"))
    entries, exits = np.zeros(8, dtype=bool), np.zeros(8, dtype=bool)
    entries[[0, 1]] = True
    exits[exit_bars] = True
    prices = np.array(EVENT_OPENS)
    bars = Bars(np.arange(8).astype("datetime64[D]"), prices, prices, prices, prices, np.ones(8))
    params = TradingParams(fee_rate=0.0, position_size=1010, max_entries=2)
    return run(bars, entries, exits, params, actions=actions)


def test_a_split_and_a_dividend_act_on_each_unit_to_the_cent():
    """Units of 101 at 10 and 91 at 11; a 3:2 split at bar 4's open (7.5) makes 151 and
    136 shares at entries of 10 / 1.5 and 11 / 1.5, each half share paid 3.75; bar 5's
    dividend of 0.2 pays 287 × 0.2 = 57.4; the exit sells both at 8: PnL 231.95 and 117.95,
    each its shares' gain, dividends and cash in lieu."""
    result = _event_run(4, 1.5, {"dividends": {5: 0.2}}, [5])
    got = [(t.entry_bar, t.exit_bar, t.size, round(t.pnl, 6)) for t in result.trades]
    assert got == [(1, 6, 151, 231.95), (2, 6, 136, 117.95)]
    assert result.trades[0].entry_price == pytest.approx(10 / 1.5)
    assert result.trades.dividends.tolist() == pytest.approx([30.2, 27.2])
    assert result.position.tolist() == [0, 101, 192, 192, 287, 287, 0, 0]
    assert round(result.equity[3], 6) == 97_989 + 192 * 11.2
    assert round(result.equity[4], 6) == 97_996.5 + 287 * 7.5
    assert round(result.equity[-1], 6) == 100_349.9
    applied = result.applied
    assert (applied.kind, applied.before, applied.after) == ([0, 1], [192, 287], [287, 287])
    assert applied.cash == pytest.approx([7.5, 57.4])


def test_a_delisting_closes_every_unit_at_its_cash():
    result = _event_run(4, 1.0, {"delisting": 7.0}, [])
    got = [(t.exit_bar, t.size, t.exit_price, t.exit_reason) for t in result.trades]
    assert got == [(7, 101, 7.0, "delisted"), (7, 91, 7.0, "delisted")]
    assert result.position[-1] == 0
    assert result.equity[-1] == 100_000 - 2011 + 192 * 7.0


def test_a_unit_a_reverse_split_leaves_without_a_whole_share_is_settled_in_cash():
    """1,010 a unit at 1,000 and 1,100 a share: one share each; a 1:2 reverse split at bar
    4 (open 7.5 × 2 = 15 after it) leaves half a share of each, paid at that open."""
    from engine import CorporateActions

    opens = np.array([1000.0, 1000.0, 1100.0, 1100.0, 15.0, 15.0, 15.0, 15.0])
    bars = Bars(np.arange(8).astype("datetime64[D]"), opens, opens, opens, opens, np.ones(8))
    split = np.ones(8)
    split[4] = 0.5
    entries = np.zeros(8, dtype=bool)
    entries[[0, 1]] = True
    params = TradingParams(fee_rate=0.0, position_size=1100, max_entries=2)
    actions = CorporateActions(split, np.zeros(8))
    result = run(bars, entries, np.zeros(8, dtype=bool), params, actions=actions)
    got = [(t.entry_bar, t.exit_bar, t.size, t.exit_price) for t in result.trades]
    assert got == [(1, 4, 0, 15.0), (2, 4, 0, 15.0)]
    assert [round(t.pnl, 6) for t in result.trades] == [0.5 * 15 - 1000, 0.5 * 15 - 1100]
    assert result.equity[-1] == 100_000 - 2100 + 15.0


def test_batch_rows_with_corporate_actions_equal_their_runs_alone():
    from engine import CorporateActions

    rng = np.random.default_rng(11)
    entries, exits = rng.random((3, 10)) < 0.4, rng.random((3, 10)) < 0.3
    split, dividend = np.ones(10), np.zeros(10)
    split[4], dividend[[3, 7]] = 1.5, [0.2, 0.3]
    actions = CorporateActions(split, dividend, 12.0)
    params = TradingParams(fee_rate=0.001, position_size=3000, max_entries=3, exit_fraction=0.5)
    batch = run_batch(_bars(), entries, exits, params, keep_equity=True, actions=actions)
    for row in range(3):
        alone = run(_bars(), entries[row], exits[row], params, actions=actions)
        assert batch.equity[row].tobytes() == alone.equity.tobytes()
        assert batch.metrics["num_trades"][row] == alone.metrics["num_trades"]
    assert len(alone.applied) > 0


ORDER_BARS = [
    (10.0, 10.0, 10.0, 10.0),  # entry: a buy limit at 9.8, good for bars 1-2
    (10.0, 10.2, 9.9, 10.0),  # not reached; the entry places nothing (one order pending)
    (9.9, 10.0, 9.7, 9.9),  # fills at 9.8: unit of 102; the entry places a limit at 9.702
    (9.9, 10.0, 9.8, 9.9),
    (9.8, 9.9, 9.75, 9.8),  # the second order expires; the entry places one at 9.604
    (9.5, 9.6, 9.4, 9.5),  # opens below it: fills at the open, 9.5, unit of 105
    (9.8, 9.8, 9.8, 9.8),  # the exit
    (10.0, 10.0, 10.0, 10.0),  # both units sold at 10
]


def test_limit_orders_open_units_one_pending_at_a_time():
    """A unit per filled order: one order pending at a time, good for two bars, none
    placed once max_entries units are held; an order that expires opens nothing."""
    from engine.orders import ORDER_STATUSES

    entries, exits = np.zeros(8, dtype=bool), np.zeros(8, dtype=bool)
    entries[:6], exits[6] = True, True
    closes = np.array([row[3] for row in ORDER_BARS])
    params = TradingParams(
        fee_rate=0.0, position_size=1000, max_entries=2, entry_type="limit", valid_bars=2
    )
    result = run(_ohlc_bars(ORDER_BARS), entries, exits, params, limit=closes * 0.98)
    got = [(t.entry_bar, t.exit_bar, t.size, t.entry_price, round(t.pnl, 6)) for t in result.trades]
    assert got == [(2, 7, 102, 9.8, 20.4), (5, 7, 105, 9.5, 52.5)]
    orders = result.orders
    statuses = [ORDER_STATUSES[code] for code in orders.status.tolist()]
    assert orders.signal_bar.tolist() == [0, 2, 4]
    assert statuses == ["filled", "expired", "filled"]
    assert orders.fill_bar.tolist() == [2, -1, 5]
    assert orders.limit.tolist() == pytest.approx([9.8, 9.702, 9.604])


def test_an_exit_cancels_the_pending_order_and_sells_part_of_each_unit():
    """A unit from bar 2's fill; bar 2's entry places another order, which bar 3's exit
    cancels while it sells half the unit at bar 4's open."""
    from engine.orders import ORDER_STATUSES

    entries, exits = np.zeros(8, dtype=bool), np.zeros(8, dtype=bool)
    entries[[0, 2]], exits[3] = True, True
    closes = np.array([row[3] for row in ORDER_BARS])
    params = TradingParams(
        fee_rate=0.0,
        position_size=1000,
        max_entries=3,
        exit_fraction=0.5,
        entry_type="limit",
        valid_bars=3,
    )
    result = run(_ohlc_bars(ORDER_BARS), entries, exits, params, limit=closes * 0.98)
    assert [ORDER_STATUSES[code] for code in result.orders.status.tolist()] == [
        "filled",
        "cancelled",
    ]
    got = [(t.entry_bar, t.exit_bar, t.size) for t in result.trades]
    assert got == [(2, 4, 51), (2, 7, 51)]


@pytest.mark.parametrize("kind", ["limit", "stop", "stop_limit"])
def test_batch_rows_with_entry_orders_equal_their_runs_alone(kind):
    """Many rows (enough for the compiled order walk, which knows one position): each row's
    units and orders are its run's alone."""
    rng = np.random.default_rng(5)
    n_bars = 60
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n_bars)))
    low, high = close * 0.99, close * 1.01
    bars = Bars(np.arange(n_bars).astype("datetime64[D]"), close, high, low, close, np.ones(n_bars))
    entries, exits = rng.random((40, n_bars)) < 0.3, rng.random((40, n_bars)) < 0.1
    params = TradingParams(
        position_size=5000, max_entries=3, exit_fraction=0.5, entry_type=kind, valid_bars=2,
        stop_loss_pct=3.0,
    )  # fmt: skip
    prices = {"limit": close * 0.995, "stop": close * 1.002}
    batch = run_batch(bars, entries, exits, params, keep_equity=True, **prices)
    for row in (0, 17, 39):
        alone = run(bars, entries[row], exits[row], params, **prices)
        assert batch.equity[row].tobytes() == alone.equity.tobytes()
        assert alone.metrics["num_trades"] > 2


def test_on_close_orders_buy_units_and_sell_parts_at_their_signal_bar_s_close():
    """Units of 1,000 at the closes of bars 0 (10.5: 95 shares) and 1 (11: 90); the exits
    on bars 2 and 4 sell half of each at those closes (48 and 45 at 11.2; 24 and 22 at
    11.5), the rest held to the end."""
    from engine.orders import ORDER_STATUSES

    rows = [(10.0, 10.0, 10.0, 10.5), (10.6, 11.0, 10.5, 11.0), (11.0, 11.5, 10.8, 11.2)]
    rows += [(11.3, 11.5, 11.2, 11.4), (11.4, 11.6, 11.3, 11.5), (11.5,) * 4]
    entries, exits = np.zeros(6, dtype=bool), np.zeros(6, dtype=bool)
    entries[[0, 1]], exits[[2, 4]] = True, True
    params = TradingParams(
        fee_rate=0.0, position_size=1000, max_entries=2, exit_fraction=0.5, entry_type="on_close"
    )
    result = run(_ohlc_bars(rows), entries, exits, params)
    got = [(t.entry_bar, t.exit_bar, t.size, t.entry_price, t.exit_price) for t in result.trades]
    assert got == [
        (0, 2, 48, 10.5, 11.2),
        (0, 4, 24, 10.5, 11.5),
        (0, 5, 23, 10.5, 11.5),
        (1, 2, 45, 11.0, 11.2),
        (1, 4, 22, 11.0, 11.5),
        (1, 5, 23, 11.0, 11.5),
    ]
    assert result.position.tolist() == [95, 185, 92, 92, 46, 46]
    assert result.equity[0] == 100_000
    assert result.orders.fill_bar.tolist() == [0, 1]
    assert [ORDER_STATUSES[c] for c in result.orders.status.tolist()] == ["filled", "filled"]


def _flat_bars(prices: list[float]) -> Bars:
    values = np.array(prices)
    n = len(values)
    return Bars(np.arange(n).astype("datetime64[D]"), values, values, values, values, np.ones(n))


def test_longshort_pyramids_shorts_pays_their_borrow_and_reverses_once_they_are_covered():
    """Exits on bars 0-2, 1,000 a unit, two at most: shorts of 50 at 20 and 52 at 19 (the
    free cash is 100,999 − 2 × 50 × 19); the entry on bar 4 covers both at 16 and, flat,
    buys 62 at 16. A borrow fee of 0.1 % a bar charges each short unit on its own shares:
    50 × (20 + 19 + 18 + 17) × 0.001 = 3.70 and 52 × (19 + 18 + 17) × 0.001 = 2.808."""
    entries, exits = np.zeros(10, dtype=bool), np.zeros(10, dtype=bool)
    exits[[0, 1, 2]], entries[4] = True, True
    params = TradingParams(
        fee_rate=0.0,
        position_size=1000,
        direction="longshort",
        max_entries=2,
        borrow_rate=0.252,
        bars_per_year=252,
    )
    bars = _flat_bars([20.0, 20.0, 19.0, 18.0, 17.0, 16.0, 15.0, 14.0, 13.0, 12.0])
    result = run(bars, entries, exits, params)
    got = [
        (t.entry_bar, t.exit_bar, t.direction, t.size, t.exit_price, t.exit_reason)
        for t in result.trades
    ]
    assert got == [
        (1, 5, -1, 50, 16.0, "signal"),
        (2, 5, -1, 52, 16.0, "signal"),
        (5, 9, 1, 62, 12.0, "end"),
    ]
    assert result.trades.borrow_fee.tolist() == pytest.approx([3.7, 2.808, 0.0])
    assert [round(t.pnl, 6) for t in result.trades] == [196.3, 153.192, -248.0]
    assert result.position.tolist() == [0, -50, -102, -102, -102, 62, 62, 62, 62, 62]
    assert result.equity[-1] == pytest.approx(100_108 - 6.508, abs=1e-9)


def test_a_short_unit_whose_equity_reaches_zero_is_liquidated_and_the_run_stops():
    """All-in short of 10,000 at 10; at the close of 20.5 the equity is 200,000 − 205,000 <
    0: the unit is bought back at that close (liquidation), nothing trades after."""
    entries, exits = np.zeros(6, dtype=bool), np.zeros(6, dtype=bool)
    exits[:5] = True
    params = TradingParams(
        fee_rate=0.0, position_size=100, size_type="percent", direction="longshort",
        max_entries=2,
    )  # fmt: skip
    result = run(_flat_bars([10.0, 10.0, 12.0, 20.5, 21.0, 22.0]), entries, exits, params)
    got = [(t.entry_bar, t.exit_bar, t.size, t.exit_reason, t.pnl) for t in result.trades]
    assert got == [(1, 3, 10_000, "liquidation", -105_000.0)]
    assert result.bust_bar == 3
    assert result.equity.tolist() == [100_000, 100_000, 80_000, 0, 0, 0]


def test_a_short_unit_is_charged_its_split_fraction_and_dividends():
    """A short of 51 at 20; a 3:2 split at an open of 12.6 makes 76 (entry 20 / 1.5), the
    half share charged 6.30; a dividend of 0.2 charges 15.20; covered at 12: PnL 76 ×
    (13.333 − 12) − 15.20 + 0.5 × (13.333 − 12.6) = 86.50, then a long of 85 at 12."""
    from engine import CorporateActions

    split, dividend = np.ones(7), np.zeros(7)
    split[3], dividend[4] = 1.5, 0.2
    entries, exits = np.zeros(7, dtype=bool), np.zeros(7, dtype=bool)
    exits[0], entries[4] = True, True
    params = TradingParams(fee_rate=0.0, position_size=1020, direction="longshort", max_entries=2)
    bars = _flat_bars([20.0, 20.0, 19.0, 12.6, 12.4, 12.0, 12.0])
    result = run(bars, entries, exits, params, actions=CorporateActions(split, dividend))
    got = [(t.entry_bar, t.exit_bar, t.direction, t.size, round(t.pnl, 6)) for t in result.trades]
    assert got == [(1, 5, -1, 76, 86.5), (5, 6, 1, 85, 0.0)]
    assert result.trades.dividends.tolist() == pytest.approx([-15.2, 0.0])
    assert result.equity[-1] == pytest.approx(100_086.5, abs=1e-9)


def test_close_at_end_with_kept_paths_ends_on_each_unit_s_own_order():
    """A dividend in the window keeps the cash at every close; the close at the end is
    still one order a unit (each paying the fixed fee of 1), as the trades say."""
    from engine import CorporateActions

    entries, exits = _signals([0, 1], [])
    dividend = np.zeros(10)
    dividend[5] = 0.1
    params = TradingParams(
        fee_rate=0.0, fee_fixed=1.0, position_size=1001, max_entries=2, close_at_end=True
    )
    result = run(_bars(), entries, exits, params, actions=CorporateActions(np.ones(10), dividend))
    assert [t.exit_reason for t in result.trades] == ["closed_at_end"] * 2
    assert sum(t.pnl for t in result.trades) == pytest.approx(result.equity[-1] - 100_000)
    assert result.position[-1] == 0


def test_a_pending_order_keeps_the_size_read_on_its_own_signal_bar():
    """A buy limit placed on bar 0 with a size of 0.1 stays pending while bar 1 (size 0.5)
    holds the entry too: it fills at 9.8 for 0.1 of the equity (1,020 shares), not 0.5."""
    entries, exits = np.zeros(8, dtype=bool), np.zeros(8, dtype=bool)
    entries[[0, 1]] = True
    closes = np.array([row[3] for row in ORDER_BARS])
    params = TradingParams(
        fee_rate=0.0, max_entries=2, entry_type="limit", valid_bars=2, size_unit="fraction"
    )
    result = run(
        _ohlc_bars(ORDER_BARS), entries, exits, params, limit=closes * 0.98,
        size=lambda bar, equity: 0.1 if bar == 0 else 0.5,
    )  # fmt: skip
    assert [(t.entry_bar, t.size) for t in result.trades] == [(2, 1020)]


def test_longshort_limit_orders_sell_short_units_and_reverse_by_a_buy_limit():
    """Sell limits at 1.02 × the close open shorts of 98 at 10.2 and 97 at 10.302 (1,000
    each from the free cash); bar 2's entry covers both at bar 3's open (10.3) and places a
    buy limit at 0.98 × 10.4 = 10.192, which fills on bar 4 (98 shares)."""
    rows = [(10.0, 10.0, 10.0, 10.0), (10.0, 10.3, 9.9, 10.1), (10.1, 10.5, 10.0, 10.4)]
    rows += [(10.3, 10.35, 10.25, 10.3), (10.2, 10.25, 10.1, 10.15), (10.5,) * 4]
    entries, exits = np.zeros(6, dtype=bool), np.zeros(6, dtype=bool)
    exits[[0, 1]], entries[2] = True, True
    close = np.array([row[3] for row in rows])
    params = TradingParams(
        fee_rate=0.0, position_size=1000, direction="longshort", max_entries=2,
        entry_type="limit", valid_bars=2,
    )  # fmt: skip
    result = run(
        _ohlc_bars(rows), entries, exits, params, limit=close * np.where(entries, 0.98, 1.02)
    )
    got = [
        (t.entry_bar, t.exit_bar, t.direction, t.size, round(t.entry_price, 6), round(t.pnl, 6))
        for t in result.trades
    ]
    assert got == [
        (1, 3, -1, 98, 10.2, -9.8),
        (2, 3, -1, 97, 10.302, 0.194),
        (4, 5, 1, 98, 10.192, 30.184),
    ]
    orders = result.orders
    assert orders.side.tolist() == [-1, -1, 1]
    assert orders.fill_bar.tolist() == [1, 2, 4]


def test_longshort_on_close_shorts_at_the_close_and_reverses_at_the_same_close():
    """Shorts of 100 at 10 and 99 at 10.1 at their signal bars' closes; bar 2's entry
    covers both at its close (10.4) and buys 96 there."""
    entries, exits = np.zeros(5, dtype=bool), np.zeros(5, dtype=bool)
    exits[[0, 1]], entries[2] = True, True
    params = TradingParams(
        fee_rate=0.0, position_size=1000, direction="longshort", max_entries=2,
        entry_type="on_close",
    )  # fmt: skip
    result = run(_flat_bars([10.0, 10.1, 10.4, 10.6, 10.6]), entries, exits, params)
    got = [(t.entry_bar, t.exit_bar, t.direction, t.size, round(t.pnl, 6)) for t in result.trades]
    assert got == [(0, 2, -1, 100, -40.0), (1, 2, -1, 99, -29.7), (2, 4, 1, 96, 19.2)]
    assert result.position.tolist() == [-100, -199, 96, 96, 96]


@pytest.mark.parametrize("seed", range(20))
def test_the_trade_order_is_lexsorts_by_entry_then_exit_ties_in_table_order(seed):
    """``unit_trades``' one-key stable sort orders units as ``np.lexsort`` on (entry bar,
    exit bar, a unit held last after every exit): ties and held units included, its key
    made by numpy or by the compiled pass (``engine._kernel.trade_key``), on a unit table
    or on the step's rows (row-major)."""
    from engine._scaling import ENTRY_BAR, EXIT_BAR, UNIT_COLUMNS, _trade_order

    rng = np.random.default_rng(seed)
    last = int(rng.integers(1, 60)) if seed % 2 else int(rng.integers(80_000_000, 89_000_000))
    first = max(0, last - 60)  # a long run's units near its end: the key's largest values
    m = int(rng.integers(0, 200))
    entry = rng.integers(first, last + 1, m).astype(float)
    exits = rng.integers(first, last + 1, m).astype(float)
    exit_bar = np.where(rng.random(m) < 0.2, -1.0, exits)
    exit_key = np.where(exit_bar < 0, last + 1, exit_bar)
    expected = np.lexsort((exit_key, entry))
    rows = np.zeros((m, UNIT_COLUMNS))
    rows[:, ENTRY_BAR], rows[:, EXIT_BAR] = entry, exit_bar
    for table in (rows, np.asfortranarray(rows)):
        for compiled_key in (False, True):
            order = _trade_order(table, last, compiled_key=compiled_key)
            got = np.arange(m) if order is None else order  # None: in that order already
            assert np.array_equal(got, expected), compiled_key
