"""Scaling in and out with stops matches backtesting.py 0.6.6 on GOOG and 50 random series.

Ours: ``engine.run`` with ``max_entries``, ``exit_fraction`` and ``stop_loss_pct``,
``take_profit_pct``, ``trailing_stop_pct`` (docs/execution.md, "Scaling in and out"). The
peer is the scaling peer of ``test_engine_scaling_parity`` whose every unit is its own
trade with its own contingent orders, as ``self.buy(sl=..., tp=...)`` gives:

* a unit's SL and TP are percent of its own fill price (the next open, which the peer knows
  when it places the order on the signal bar's close), set on the order with
  ``Order._replace`` as in ``test_engine_stops_parity`` (backtesting.py's own check compares
  them with the signal bar's close);
* the trailing stop, which backtesting.py does not have, is the unit's SL moved in
  ``next()`` to max(stop-loss, the best high since its entry × (1 − p)): set on bar t's
  close it is in force from bar t + 1, as ours ratchets after the bar's check;
* ``position.close(portion)`` puts its orders in front of the queue, so a signal's sale is
  filled at the open before any stop, as ours; the rest of a unit keeps its levels.

With ``take_profit_fraction`` f < 1 the peer buys each unit of n shares as two trades: a =
max(1, round(n × f)) shares with the SL and the TP, n − a with the SL only, so the TP sells
a and leaves the rest with its stop loss and trailing stop. Equity is compared on every bar
(1e-9 relative), and the closed trades grouped by (entry bar, exit bar, exit price): their
shares and PnL (a unit stopped whole is the peer's two trades at one price).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from tests.engine.test_engine_position_exits_parity import _random_frame

FEE = 0.001


def peer(df: pd.DataFrame, entries, exits, params: TradingParams, rule=None):
    """backtesting.py pyramiding units, each with its own stop orders, and closing a
    portion of each on every exit signal. ``rule`` (``test_engine_position_exits_parity.
    Rule``), when given: the exit while units are held, from the long's own figures (bars
    since its first unit filled, its trades' share-weighted entry, ``position.pl_pct`` and
    its best since that fill)."""
    opens, highs, lows = df.Open.to_numpy(), df.High.to_numpy(), df.Low.to_numpy()
    closes = df.Close.to_numpy()
    by_value = params.size_type == "value"
    longshort = params.direction == "longshort"
    loss, profit, trail = (
        None if value is None else value / 100.0
        for value in (params.stop_loss_pct, params.take_profit_pct, params.trailing_stop_pct)
    )
    fraction = params.take_profit_fraction

    class ScalingWithStops(Strategy):
        def init(self):
            self.best: dict = {}  # each trade's best high (a short: low) since its entry
            self.first: int | None = None  # the bar the long's first unit filled
            self.best_return = -np.inf  # the long's best pl_pct since then

        def _exit(self, t: int) -> bool:
            if not self.position.is_long:  # the rule reads a long
                self.first, self.best_return = None, -np.inf
                return bool(exits[t])
            if rule is None:
                return bool(exits[t])
            if self.first is None:
                self.first = min(trade.entry_bar for trade in self.trades)
            shares = sum(trade.size for trade in self.trades)
            entry = sum(trade.size * trade.entry_price for trade in self.trades) / shares
            open_return = self.position.pl_pct
            self.best_return = max(self.best_return, open_return)
            held = t - self.first
            return bool(rule(bool(exits[t]), held, entry, open_return, self.best_return, closes[t]))

        def _units(self, t: int, reverse: bool) -> int:
            """Our sizing at the next open: from the cash after covering everything
            (``reverse``), else from the free cash (less twice the shorts' value)."""
            price = float(opens[t + 1])
            cash = self._broker._cash - sum(u.size * u.entry_price for u in self.trades)
            shares = sum(u.size for u in self.trades)
            if reverse:
                for u in self.trades:
                    cash = cash + u.size * price - abs(u.size) * price * FEE
                shares = 0
            free = cash if shares >= 0 else cash + 2.0 * shares * price
            budget = (
                min(params.position_size, free) if by_value else free * params.position_size / 100
            )
            n = int(budget // (price * (1.0 + FEE)))
            while n > 0 and n * price + n * price * FEE > budget:
                n -= 1
            return n

        def _stop_loss(self, side: int, entry: float, best: float) -> float | None:
            levels = []
            if loss is not None:
                levels.append(entry * (1.0 - side * loss))
            if trail is not None:
                levels.append(best * (1.0 - side * trail))
            if not levels:
                return None
            return max(levels) if side > 0 else min(levels)

        def _order(self, side: int, size: int, entry: float, with_tp: bool) -> None:
            order = self.buy(size=size) if side > 0 else self.sell(size=size)
            order._replace(
                sl_price=self._stop_loss(side, entry, entry),
                tp_price=entry * (1.0 + side * profit) if profit is not None and with_tp else None,
            )

        def _open(self, t: int, side: int, reverse: bool) -> None:
            n = self._units(t, reverse)
            if n < 1:
                return
            entry = float(opens[t + 1])
            first = n if profit is None else min(n, max(1, round(n * fraction)))
            self._order(side, first, entry, with_tp=True)
            if n > first:
                self._order(side, n - first, entry, with_tp=False)

        def _ratchet(self, t: int) -> None:
            if trail is None:
                return
            for trade in self.trades:
                side = 1 if trade.size > 0 else -1
                best = self.best.get(trade, trade.entry_price)
                extreme = highs[t] if side > 0 else lows[t]
                if (extreme - best) * side > 0:
                    self.best[trade] = extreme
                    trade.sl = self._stop_loss(side, trade.entry_price, extreme)

        def next(self):
            t = len(self.data) - 1
            self._ratchet(t)
            exit_now = self._exit(t)
            if t >= len(opens) - 1 or entries[t] == exit_now:
                return
            side = 1 if entries[t] else -1
            held = 0 if not self.position else (1 if self.position.is_long else -1)
            opens_side = side > 0 or longshort
            if held == -side:
                part = params.exit_fraction
                left = [
                    t_ for t_ in self.trades if max(1, round(abs(t_.size) * part)) < abs(t_.size)
                ]
                self.position.close(portion=part)
                if not left and opens_side:
                    self._open(t, side, reverse=True)
                return
            units = len({trade.entry_bar for trade in self.trades})
            if opens_side and units < params.max_entries:
                self._open(t, side, reverse=False)

    # margin 0.5: its broker checks an order against the margin at the fill bar's close,
    # which refuses a unit added to shorts after the price rose within that bar; the sizes
    # handed over never spend more than our free cash at the open
    bt = Backtest(df, ScalingWithStops, cash=params.initial_capital, commission=FEE, margin=0.5)
    return bt.run()


def _grouped(rows) -> dict[tuple, tuple[int, float]]:
    """Closed trades as {(entry bar, exit bar, exit price rounded): (shares, PnL)}."""
    out: dict[tuple, list] = {}
    for entry_bar, exit_bar, exit_price, size, pnl in rows:
        key = (int(entry_bar), int(exit_bar), round(float(exit_price), 9))
        shares, total = out.get(key, (0, 0.0))
        out[key] = (shares + int(size), total + float(pnl))
    return out


def assert_same_as_peer(ours, stats) -> list:
    """Equity on every bar (1e-9 relative); closed trades grouped by entry bar, exit bar and
    exit price: the same groups, shares and PnL."""
    np.testing.assert_allclose(
        ours.equity, stats["_equity_curve"]["Equity"].to_numpy(), rtol=1e-9, atol=0
    )
    closed = [t for t in ours.trades if not t.is_open]
    mine = _grouped(
        (t.entry_bar, t.exit_bar, t.exit_price, t.direction * t.size, t.pnl) for t in closed
    )
    peer_trades = stats["_trades"]
    theirs = _grouped(
        zip(
            peer_trades["EntryBar"],
            peer_trades["ExitBar"],
            peer_trades["ExitPrice"],
            peer_trades["Size"],
            peer_trades["PnL"],
            strict=True,
        )
    )
    assert sorted(mine) == sorted(theirs)
    for key, (shares, pnl) in mine.items():
        assert shares == theirs[key][0], key
        np.testing.assert_allclose(pnl, theirs[key][1], rtol=1e-9, atol=1e-9)
    return closed


def _params(max_entries, fraction, size_type, size, stops, **extra) -> TradingParams:
    sl, tp, trail = stops
    return TradingParams(
        initial_capital=100_000,
        fee_rate=FEE,
        position_size=size,
        size_type=size_type,
        max_entries=max_entries,
        exit_fraction=fraction,
        stop_loss_pct=sl,
        take_profit_pct=tp,
        trailing_stop_pct=trail,
        **extra,
    )


GOOG_CASES = [
    (3, 1.0, "value", 10_000.0, (5.0, None, None)),
    (5, 0.5, "percent", 30.0, (None, 8.0, None)),
    (4, 0.3, "value", 20_000.0, (4.0, 10.0, None)),
    (3, 1.0, "percent", 40.0, (None, None, 6.0)),
    (4, 0.5, "value", 15_000.0, (3.0, 12.0, 5.0)),
    (1, 0.5, "percent", 100.0, (6.0, 6.0, None)),
]


def _goog_signals(goog: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    close = goog.Close
    entries = (close > close.rolling(20).mean()).to_numpy()
    exits = (close < close.rolling(10).mean()).to_numpy()
    return entries, exits


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("max_entries", "fraction", "size_type", "size", "stops"), GOOG_CASES)
def test_units_with_stops_match_backtesting_py_on_goog(
    goog, max_entries, fraction, size_type, size, stops
):
    """Entries while close is above its 20-bar mean, exits while below its 10-bar mean, on
    all 2,148 bars: each unit is stopped on its own levels, as the peer's trades are."""
    entries, exits = _goog_signals(goog)
    params = _params(max_entries, fraction, size_type, size, stops)
    ours = run(Bars.from_dataframe(goog), entries, exits, params)
    closed = assert_same_as_peer(ours, peer(goog, entries, exits, params))
    reasons = {t.exit_reason for t in closed}
    assert reasons & {"stop_loss", "take_profit", "trailing_stop"}, reasons


def _random_case(rng: np.random.Generator) -> tuple[pd.DataFrame, tuple]:
    df = _random_frame(rng, int(rng.integers(80, 300)))
    fraction = float(rng.choice([1.0, 0.5, 0.3, 0.75]))
    max_entries = int(rng.integers(1, 6))
    size_type = ("value", "percent")[int(rng.integers(2))]
    size = (
        float(rng.choice([5_000.0, 30_000.0]))
        if size_type == "value"
        else float(rng.choice([20.0, 50.0, 100.0]))
    )
    stops = (
        float(rng.choice([0.0, 2.0, 4.0])) or None,
        float(rng.choice([0.0, 3.0, 6.0])) or None,
        float(rng.choice([0.0, 0.0, 3.0])) or None,
    )
    if stops == (None, None, None):
        stops = (3.0, None, None)
    return df, (max_entries, fraction, size_type, size, stops)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(50))
def test_units_with_stops_match_backtesting_py_on_random_series(seed):
    """50 random series with random signals, unit counts, fractions, sizes and stops."""
    rng = np.random.default_rng(9_000 + seed)
    df, case = _random_case(rng)
    entries = df.Volume.to_numpy() >= 2
    exits = (df.Volume.to_numpy() == 1) | (df.Volume.to_numpy() == 3)
    params = _params(*case)
    ours = run(Bars.from_dataframe(df), entries, exits, params)
    assert_same_as_peer(ours, peer(df, entries, exits, params))


TAKE_PROFIT_CASES = [
    (3, "value", 10_000.0, (None, 8.0, None), 0.5),
    (4, "percent", 30.0, (4.0, 6.0, None), 0.3),
    (1, "percent", 100.0, (5.0, 10.0, 6.0), 0.5),
    (5, "value", 20_000.0, (None, 5.0, 4.0), 0.75),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("max_entries", "size_type", "size", "stops", "tp_part"), TAKE_PROFIT_CASES
)
def test_a_partial_take_profit_matches_two_peer_trades_per_unit_on_goog(
    goog, max_entries, size_type, size, stops, tp_part
):
    """take_profit_fraction below 1: each unit's take-profit sells its part and the rest
    runs on with its stop-loss and trailing stop, as the peer's second trade does."""
    entries, exits = _goog_signals(goog)
    params = _params(max_entries, 1.0, size_type, size, stops, take_profit_fraction=tp_part)
    ours = run(Bars.from_dataframe(goog), entries, exits, params)
    closed = assert_same_as_peer(ours, peer(goog, entries, exits, params))
    sold_by_tp = {t.entry_bar for t in closed if t.exit_reason == "take_profit"}
    rests = {t.entry_bar for t in ours.trades if t.exit_reason != "take_profit"}
    assert sold_by_tp & rests, "no unit was sold in part by its take-profit"


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(30))
def test_a_partial_take_profit_matches_the_peer_on_random_series(seed):
    """30 random series, random unit counts, sizes, stops and take-profit fractions."""
    rng = np.random.default_rng(19_000 + seed)
    df, (max_entries, _, size_type, size, (sl, _, trail)) = _random_case(rng)
    tp = float(rng.choice([3.0, 5.0]))
    tp_part = float(rng.choice([0.3, 0.5, 0.75]))
    params = _params(
        max_entries, 1.0, size_type, size, (sl, tp, trail), take_profit_fraction=tp_part
    )
    entries = df.Volume.to_numpy() >= 2
    exits = (df.Volume.to_numpy() == 1) | (df.Volume.to_numpy() == 3)
    ours = run(Bars.from_dataframe(df), entries, exits, params)
    assert_same_as_peer(ours, peer(df, entries, exits, params))


LONGSHORT_CASES = [
    (3, 1.0, "value", 10_000.0, (None, None, None)),
    (2, 1.0, "percent", 30.0, (5.0, 10.0, None)),
    (4, 0.5, "value", 15_000.0, (None, None, 6.0)),
    (3, 0.3, "percent", 20.0, (4.0, None, 5.0)),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("max_entries", "fraction", "size_type", "size", "stops"), LONGSHORT_CASES)
def test_longshort_units_match_backtesting_py_on_goog(
    goog, max_entries, fraction, size_type, size, stops
):
    """longshort: exits pile up short units as entries pile up long ones; a signal against
    the units held closes a part of each, and reverses once none is left."""
    entries, exits = _goog_signals(goog)
    params = _params(max_entries, fraction, size_type, size, stops, direction="longshort")
    ours = run(Bars.from_dataframe(goog), entries, exits, params)
    closed = assert_same_as_peer(ours, peer(goog, entries, exits, params))
    assert {t.direction for t in closed} == {1, -1}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(40))
def test_longshort_units_match_backtesting_py_on_random_series(seed):
    """40 random series with random signals, unit counts, fractions, sizes and stops."""
    rng = np.random.default_rng(39_000 + seed)
    df, case = _random_case(rng)
    entries = df.Volume.to_numpy() >= 2
    exits = (df.Volume.to_numpy() == 1) | (df.Volume.to_numpy() == 3)
    params = _params(*case, direction="longshort")
    ours = run(Bars.from_dataframe(df), entries, exits, params)
    assert_same_as_peer(ours, peer(df, entries, exits, params))
