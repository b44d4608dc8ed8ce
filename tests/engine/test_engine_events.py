"""Corporate actions applied to a position (docs/execution.md, "Corporate actions on a
position"): hand-computed cases to the cent — a 4:1 split and quarterly dividends on a long
and a short with fees — cash in lieu of a split's fraction, stop levels and pending orders
divided by the ratio, a delisting, and runs without events taking the usual paths."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars, CorporateActions, TradingParams, run, run_batch
from engine.corporate import KINDS

# Twelve monthly bars: a 4:1 split at bar 4, dividends each quarter (bars 2, 5, 8, 11).
OPEN = [100.0, 101.0, 103.0, 104.0, 26.5, 26.0, 27.0, 27.5, 28.0, 28.5, 27.5, 27.0]
CLOSE = [100.0, 102.0, 103.0, 104.0, 26.75, 26.25, 27.0, 27.5, 28.0, 28.4, 27.5, 27.0]
T = len(OPEN)
SPLIT_BAR = 4
DIVIDEND_BARS = [2, 5, 8, 11]
DIVIDENDS = [0.88, 0.22, 0.22, 0.22]
PARAMS = TradingParams(
    initial_capital=10_000.0,
    fee_rate=0.001,
    fee_fixed=1.0,
    position_size=100.0,
    size_type="percent",
    direction="longshort",
)


def _bars(open_=OPEN, close=CLOSE, high=None, low=None) -> Bars:
    days = np.arange(len(open_)).astype("datetime64[M]").astype("datetime64[D]")
    days += np.datetime64("2021-01-01") - days[0]
    high = [max(o, c) for o, c in zip(open_, close, strict=True)] if high is None else high
    low = [min(o, c) for o, c in zip(open_, close, strict=True)] if low is None else low
    return Bars(days, open_, high, low, close, [1.0] * len(open_))


def _actions(n: int = T, splits=None, dividends=None, delisting=None) -> CorporateActions:
    split, dividend = np.ones(n), np.zeros(n)
    for bar, ratio in (splits or {}).items():
        split[bar] = ratio
    for bar, amount in (dividends or {}).items():
        dividend[bar] = amount
    return CorporateActions(split, dividend, delisting)


QUARTERLY = _actions(
    splits={SPLIT_BAR: 4.0}, dividends=dict(zip(DIVIDEND_BARS, DIVIDENDS, strict=True))
)


def _signals(entry_bar: int, exit_bar: int) -> tuple[np.ndarray, np.ndarray]:
    entries, exits = np.zeros(T, dtype=bool), np.zeros(T, dtype=bool)
    entries[entry_bar], exits[exit_bar] = True, True
    return entries, exits


def test_a_long_across_a_4_for_1_split_and_dividends_then_a_short_to_the_cent():
    """Long bought at bar 1's open (101): floor(9,999 / 101.101) = 98 shares, fee 9.898 + 1;
    cash 91.102. Bar 2: 98 × 0.88 = 86.24 paid. Bar 4: 4:1, 392 shares at an entry of 25.25.
    Bar 5: 392 × 0.22 = 86.24. Bar 8's open: the dividend first (86.24: held over bar 7's
    close), then the exit signal's sale of 392 at 28 (fee 11.976) and a short of
    floor(11,312.846 / 28.028) = 403 at 28 (fee 12.284). Bar 11: the short pays
    403 × 0.22 = 88.66 and is marked at 27."""
    result = run(_bars(), *_signals(0, 7), PARAMS, actions=QUARTERLY)
    expected_cash = [10_000.0, 91.102, 177.342, 177.342, 177.342, 263.582]
    expected_cash += [263.582, 263.582, 22_585.562, 22_585.562, 22_585.562, 22_496.902]
    np.testing.assert_allclose(result.cash, expected_cash, rtol=0, atol=1e-9)
    assert result.position.tolist() == [0, 98, 98, 98, 392, 392, 392, 392, -403, -403, -403, -403]
    assert result.equity[4] == pytest.approx(177.342 + 392 * 26.75, abs=1e-9)
    assert result.equity[-1] == pytest.approx(11_615.902, abs=1e-9)
    long, short = result.trades
    assert (long.size, long.entry_price, long.exit_price) == (392, 25.25, 28.0)
    assert (long.entry_fee, long.exit_fee) == pytest.approx((10.898, 11.976), abs=1e-12)
    assert long.pnl == pytest.approx(392 * 2.75 - 10.898 - 11.976 + 3 * 86.24, abs=1e-9)
    assert long.pnl == pytest.approx(1_313.846, abs=1e-9)
    assert (short.size, short.direction, short.is_open) == (403, -1, True)
    assert short.pnl == pytest.approx(403 * 1.0 - 12.284 - 88.66, abs=1e-9)
    np.testing.assert_allclose(result.trades.dividends, [258.72, -88.66], atol=1e-9)
    assert long.pnl + short.pnl == pytest.approx(result.equity[-1] - 10_000.0, abs=1e-9)


def test_a_short_across_the_split_pays_the_dividends_to_the_cent():
    """The same bars, the signals the other way: a short of 98 at 101 (cash 19,887.102)
    pays 86.24 at bars 2, 5 and 8 (392 shares after the split), is covered at 28 and a long
    of floor(8,639.406 / 28.028) = 308 receives 308 × 0.22 = 67.76 at bar 11."""
    result = run(_bars(), *_signals(7, 0), PARAMS, actions=QUARTERLY)
    assert result.cash[1] == pytest.approx(19_887.102, abs=1e-9)
    assert result.cash[5] == pytest.approx(19_887.102 - 2 * 86.24, abs=1e-9)
    assert result.cash[8] == pytest.approx(6.782, abs=1e-9)
    assert result.equity[-1] == pytest.approx(74.542 + 308 * 27.0, abs=1e-9)
    short, long = result.trades
    assert (short.size, short.entry_price, short.direction) == (392, 25.25, -1)
    assert short.pnl == pytest.approx(-1_359.594, abs=1e-9)
    assert (long.size, long.entry_price) == (308, 28.0)
    assert long.pnl == pytest.approx(-308.0 - 9.624 + 67.76, abs=1e-9)
    np.testing.assert_allclose(result.trades.dividends, [-258.72, 67.76], atol=1e-9)


def test_the_result_lists_the_events_that_met_the_position():
    """``applied``: the five events that met a position, with shares before and after and
    the cash each moved; the dividend at bar 11 is the short's charge."""
    applied = run(_bars(), *_signals(0, 7), PARAMS, actions=QUARTERLY).applied
    assert applied.bar == [2, 4, 5, 8, 11]
    assert [KINDS[k] for k in applied.kind] == [
        "dividend",
        "split",
        "dividend",
        "dividend",
        "dividend",
    ]
    assert applied.before == [98, 98, 392, 392, -403]
    assert applied.after == [98, 392, 392, 392, -403]
    np.testing.assert_allclose(applied.cash, [86.24, 0.0, 86.24, 86.24, -88.66], atol=1e-9)


@pytest.mark.parametrize("side", [1, -1])
def test_a_split_s_fraction_is_settled_in_cash_at_the_ex_bar_open(side):
    """11 shares bought (or sold short) at 100 with no fee; a 3:2 split at bar 3 gives 16
    and half a share paid (charged) at that open, 70: 35.00. The trade's PnL at its exit at
    72: 16 × (72 − 66.67) + 0.5 × (70 − 66.67) = 87.00 (a short: −87.00)."""
    open_ = [100.0, 100.0, 100.0, 70.0, 71.0, 72.0, 72.0]
    bars = _bars(open_, open_)
    entries, exits = np.zeros(7, dtype=bool), np.zeros(7, dtype=bool)
    (entries if side > 0 else exits)[0] = True
    (exits if side > 0 else entries)[4] = True
    params = TradingParams(
        initial_capital=1_100.0,
        fee_rate=0.0,
        position_size=100.0,
        size_type="percent",
        direction="longshort",
    )
    if side > 0:
        params = TradingParams(
            initial_capital=1_100.0, fee_rate=0.0, position_size=100.0, size_type="percent"
        )
    result = run(bars, entries, exits, params, actions=_actions(7, splits={3: 1.5}))
    trade = result.trades[0]
    assert result.position[3] == 16 * side
    assert result.cash[3] - result.cash[2] == pytest.approx(35.0 * side, abs=1e-12)
    assert (trade.size, trade.entry_price) == (16, pytest.approx(100.0 / 1.5))
    assert trade.pnl == pytest.approx(87.0 * side, abs=1e-9)
    assert result.applied.cash == [pytest.approx(35.0 * side)]


def test_a_reverse_split_keeps_whole_shares_the_float_ratio_would_floor_away():
    """3 shares in a 1:3 reverse split are 1 share (3 × (1/3) is 0.999… in floats);
    10 shares are 3 and a third of a share in cash."""
    open_ = [10.0, 10.0, 10.0, 30.0, 30.0]
    for capital, shares, in_lieu in ((30.0, 1, 0.0), (100.0, 3, 10.0)):
        params = TradingParams(
            initial_capital=capital, fee_rate=0.0, position_size=100.0, size_type="percent"
        )
        entries = np.array([True, False, False, False, False])
        result = run(
            _bars(open_, open_),
            entries,
            np.zeros(5, dtype=bool),
            params,
            actions=_actions(5, splits={3: 1 / 3}),
        )
        assert result.position[3] == shares
        assert result.cash[3] == pytest.approx(in_lieu, abs=1e-9)


def test_a_reverse_split_that_leaves_no_whole_share_closes_the_position_at_the_ex_bar_open():
    """3 shares bought at 10 (a 35 budget, cash 970) in a 1:4 reverse split at an open of
    48: 0.75 of a share, so no whole share is left and the position is closed there by its
    cash in lieu, 0.75 × 48 = 36 (cash 1,006): a trade of size 0 at the entry price 10 × 4
    = 40, exit price 48, PnL 0.75 × (48 − 40) = 6, exit reason ``signal``. Nothing is held
    after it, so its 5 % stop-loss (38) does not act when bar 5 opens at 30 (engine 2.1.0
    kept the position open at no shares, its stops and position-aware exit still read).
    The side its signals asked for stays long, as after an order that buys no share: the
    entries of bars 4 and 5 ask nothing new; the exit of bar 6 and the entry of bar 7 do,
    and 1 share is bought at bar 8's open of 33 (cash 973)."""
    open_ = [10.0, 10.0, 11.0, 48.0, 44.0, 30.0, 31.0, 33.0, 33.0, 34.0]
    n = len(open_)
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    entries[[0, 4, 5]], exits[6], entries[7] = True, True, True
    params = TradingParams(
        initial_capital=1_000.0, fee_rate=0.0, position_size=35.0, stop_loss_pct=5.0
    )
    actions = _actions(n, splits={3: 0.25})
    result = run(_bars(open_, open_), entries, exits, params, actions=actions)
    assert result.position.tolist() == [0, 3, 3, 0, 0, 0, 0, 0, 1, 1]
    assert result.cash.tolist() == [1_000.0, 970.0, 970.0] + [1_006.0] * 5 + [973.0] * 2
    assert result.equity.tolist() == [1_000.0, 1_000.0, 1_003.0] + [1_006.0] * 6 + [1_007.0]
    first, second = result.trades
    assert (first.entry_bar, first.exit_bar, first.size, first.is_open) == (1, 3, 0, False)
    assert (first.entry_price, first.exit_price, first.pnl) == (40.0, 48.0, 6.0)
    assert first.exit_reason == "signal"
    assert (second.entry_bar, second.size, second.entry_price, second.is_open) == (8, 1, 33.0, True)
    applied = result.applied
    assert (applied.bar, applied.before, applied.after, applied.cash) == ([3], [3.0], [0.0], [36.0])
    signals = (entries[None], exits[None])
    batch = run_batch(_bars(open_, open_), *signals, params, keep_equity=True, actions=actions)
    assert batch.equity[0].tolist() == result.equity.tolist()


def test_stop_levels_are_divided_by_the_split_ratio():
    """A long at 100 with a 10% stop-loss (90) across a 2:1 split: its level is 45, so a
    post-split low of 46 keeps it and a low of 44 exits at 45."""
    open_ = [100.0, 100.0, 100.0, 50.0, 50.0, 50.0]
    low = [100.0, 100.0, 100.0, 46.0, 44.0, 50.0]
    bars = _bars(open_, open_, high=open_, low=low)
    params = TradingParams(
        initial_capital=1_000.0,
        fee_rate=0.0,
        position_size=100.0,
        size_type="percent",
        stop_loss_pct=10.0,
    )
    entries = np.zeros(6, dtype=bool)
    entries[0] = True
    result = run(bars, entries, np.zeros(6, dtype=bool), params, actions=_actions(6, {3: 2.0}))
    (trade,) = result.trades
    assert (trade.exit_bar, trade.exit_price, trade.exit_reason) == (4, 45.0, "stop_loss")
    assert (trade.size, trade.entry_price) == (20, 50.0)


def test_a_pending_limit_order_s_prices_are_divided_by_the_split_ratio():
    """A buy limit at 95 placed at bar 1's close, good for 3 bars, across a 2:1 split at bar
    2: its limit is 47.50, so the post-split low of 48 does not fill it and 47 does, at
    47.50."""
    open_ = [100.0, 100.0, 50.0, 50.0, 50.0, 50.0]
    low = [100.0, 100.0, 48.0, 47.0, 50.0, 50.0]
    bars = _bars(open_, open_, high=open_, low=low)
    params = TradingParams(
        initial_capital=1_000.0,
        fee_rate=0.0,
        position_size=100.0,
        size_type="percent",
        entry_type="limit",
        valid_bars=3,
    )
    entries = np.zeros(6, dtype=bool)
    entries[1] = True
    limit = np.full(6, 95.0)
    result = run(
        bars,
        entries,
        np.zeros(6, dtype=bool),
        params,
        limit=limit,
        actions=_actions(6, {2: 2.0}),
    )
    (trade,) = result.trades
    assert (trade.entry_bar, trade.entry_price, trade.size) == (3, 47.5, 21)


@pytest.mark.parametrize("cash", [5.0, None])
def test_a_delisting_closes_the_position_at_its_cash_on_the_last_close(cash):
    """A long of 10 delisted at the last bar: sold at the delisting's cash per share (or
    the last close), no fee, exit reason ``delisted``; nothing is left open."""
    open_ = [10.0, 10.0, 9.0, 8.0]
    bars = _bars(open_, open_)
    params = TradingParams(
        initial_capital=100.0, fee_rate=0.001, position_size=100.0, size_type="percent"
    )
    entries = np.array([True, False, False, False])
    delisting = 8.0 if cash is None else cash
    result = run(
        bars, entries, np.zeros(4, dtype=bool), params, actions=_actions(4, delisting=delisting)
    )
    (trade,) = result.trades
    assert (trade.exit_reason, trade.exit_price, trade.exit_fee) == ("delisted", delisting, 0.0)
    assert not trade.is_open and result.position[-1] == 0
    assert result.equity[-1] == pytest.approx(result.cash[2] + 9 * delisting, abs=1e-12)
    assert trade.pnl == pytest.approx(result.equity[-1] - 100.0, abs=1e-9)


def test_runs_without_an_acting_event_take_the_usual_paths_bit_for_bit():
    """No event, or one on the first bar (nothing held at its open), changes nothing: the
    same equity and trades as without ``actions``, and no ``applied`` list."""
    bars, signals = _bars(), _signals(0, 7)
    plain = run(bars, *signals, PARAMS)
    for actions in (_actions(), _actions(splits={0: 4.0}, dividends={0: 1.0})):
        same = run(bars, *signals, PARAMS, actions=actions)
        np.testing.assert_array_equal(same.equity, plain.equity)
        assert same.trades == plain.trades and same.applied is None
        assert same.trades.dividends is None


def test_a_batch_row_with_events_equals_its_run_alone():
    """``run_batch`` with actions walks every row as ``run`` does: equal equity and core
    metrics, bit for bit."""
    bars = _bars()
    rows = [_signals(0, 7), _signals(7, 0), _signals(2, 9)]
    entries = np.array([r[0] for r in rows])
    exits = np.array([r[1] for r in rows])
    batch = run_batch(bars, entries, exits, PARAMS, keep_equity=True, actions=QUARTERLY)
    for i, (entry, exit_) in enumerate(rows):
        alone = run(bars, entry, exit_, PARAMS, actions=QUARTERLY)
        np.testing.assert_array_equal(batch.equity[i], alone.equity)
        for name, values in batch.metrics.items():
            value = alone.metrics[name]
            assert values[i] == value or (np.isnan(values[i]) and value is None)


def test_a_short_closed_at_the_end_after_a_split_on_the_last_bar_pays_borrow_on_its_new_shares():
    """A short of 10 at 100 with a 25.2% borrow fee (0.1% a bar) and ``close_at_end``: a 2:1
    split at the last bar makes it 20 shares, which pay that close's borrow on 20 × 50 and
    are bought back at the last open (50); the trade's PnL (entry 50 after the split) sums
    with the cash to the equity."""
    open_ = [100.0, 100.0, 100.0, 50.0]
    bars = _bars(open_, open_)
    params = TradingParams(
        initial_capital=1_000.0,
        fee_rate=0.0,
        position_size=100.0,
        size_type="percent",
        direction="longshort",
        borrow_rate=0.252,
        close_at_end=True,
    )
    exits = np.array([True, False, False, False])
    result = run(bars, np.zeros(4, dtype=bool), exits, params, actions=_actions(4, splits={3: 2.0}))
    (trade,) = result.trades
    assert (trade.size, trade.entry_price, trade.exit_reason) == (20, 50.0, "closed_at_end")
    assert result.trades.borrow_fee[0] == pytest.approx(2 * 1.0 + 20 * 50.0 * 0.001)
    assert result.position[-1] == 0
    assert trade.pnl == pytest.approx(-3.0, abs=1e-12)
    assert result.equity[-1] == pytest.approx(1_000.0 + trade.pnl, abs=1e-12)


def test_a_trailing_stop_s_best_price_is_divided_by_the_split_ratio():
    """A long at 100 with a 10% trailing stop whose best high was 110 (level 99) across a
    2:1 split: the level is 49.50, so a post-split low of 50 keeps it and 49 exits at 49.50."""
    open_ = [100.0, 100.0, 105.0, 52.0, 52.0, 52.0]
    high = [100.0, 100.0, 110.0, 52.0, 52.0, 52.0]
    low = [100.0, 100.0, 105.0, 50.0, 49.0, 52.0]
    bars = _bars(open_, open_, high=high, low=low)
    params = TradingParams(
        initial_capital=1_000.0,
        fee_rate=0.0,
        position_size=100.0,
        size_type="percent",
        trailing_stop_pct=10.0,
    )
    entries = np.zeros(6, dtype=bool)
    entries[0] = True
    result = run(bars, entries, np.zeros(6, dtype=bool), params, actions=_actions(6, {3: 2.0}))
    (trade,) = result.trades
    assert (trade.exit_bar, trade.exit_reason) == (4, "trailing_stop")
    assert trade.exit_price == pytest.approx(49.5)
