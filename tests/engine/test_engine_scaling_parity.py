"""Scaling in and out matches backtesting.py 0.6.6 on GOOG and on 50 random series.

Ours: ``engine.run`` with ``max_entries`` and ``exit_fraction`` (docs/execution.md, "Scaling
in and out"). The peer: a ``Strategy`` that, on each close whose entry signal holds (and exit
does not), buys a unit of whole shares while ``len(self.trades) < max_entries`` (sized from
the cash left, at the next open it peeks at, as ours), and on each exit signal calls
``self.position.close(portion=exit_fraction)``. Equity on every bar within 1e-9 relative and
every closed trade (entry and exit bars, prices, sizes, PnL) equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from tests.engine.test_engine_position_exits_parity import _random_frame

FEE = 0.001


def peer(df: pd.DataFrame, entries, exits, params: TradingParams):
    """backtesting.py pyramiding on every entry bar and closing a portion on every exit."""
    opens = df.Open.to_numpy()
    by_value = params.size_type == "value"

    class Scaling(Strategy):
        def init(self):
            pass

        def _units(self, t: int) -> int:
            price = float(opens[t + 1])
            cash = self._broker._cash - sum(u.size * u.entry_price for u in self.trades)
            budget = (
                min(params.position_size, cash) if by_value else cash * params.position_size / 100
            )
            n = int(budget // (price * (1.0 + FEE)))
            while n > 0 and n * price + n * price * FEE > budget:
                n -= 1
            return n

        def next(self):
            t = len(self.data) - 1
            if t >= len(opens) - 1 or entries[t] == exits[t]:
                return
            if entries[t] and len(self.trades) < params.max_entries:
                n = self._units(t)
                if n >= 1:
                    self.buy(size=n)
            elif exits[t] and self.position:
                self.position.close(portion=params.exit_fraction)

    bt = Backtest(df, Scaling, cash=params.initial_capital, commission=FEE, trade_on_close=False)
    return bt.run()


def assert_same_as_peer(ours, stats) -> list:
    """Equity on every bar (1e-9 relative) and closed trades, by entry then exit bar."""
    np.testing.assert_allclose(
        ours.equity, stats["_equity_curve"]["Equity"].to_numpy(), rtol=1e-9, atol=0
    )
    theirs = stats["_trades"].sort_values(["EntryBar", "ExitBar"], kind="stable")
    closed = [t for t in ours.trades if not t.is_open]
    assert len(closed) == len(theirs)
    assert [t.size for t in closed] == theirs["Size"].tolist()
    assert [t.entry_bar for t in closed] == theirs["EntryBar"].tolist()
    assert [t.exit_bar for t in closed] == theirs["ExitBar"].tolist()
    np.testing.assert_allclose([t.entry_price for t in closed], theirs["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose([t.exit_price for t in closed], theirs["ExitPrice"], rtol=1e-12)
    np.testing.assert_allclose([t.pnl for t in closed], theirs["PnL"], rtol=1e-9, atol=1e-9)
    return closed


def _params(max_entries: int, fraction: float, size_type: str, size: float) -> TradingParams:
    return TradingParams(
        initial_capital=100_000,
        fee_rate=FEE,
        position_size=size,
        size_type=size_type,
        max_entries=max_entries,
        exit_fraction=fraction,
    )


GOOG_CASES = [
    (3, 1.0, "value", 10_000.0),
    (5, 0.5, "percent", 30.0),
    (4, 0.3, "value", 20_000.0),
    (1, 0.5, "percent", 100.0),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("max_entries", "fraction", "size_type", "size"), GOOG_CASES)
def test_scaling_matches_backtesting_py_on_goog(goog, max_entries, fraction, size_type, size):
    """Entries while close is above its 20-bar mean, exits while below its 10-bar mean, on
    all 2,148 bars: units pile up and partial closes split them, as the peer's do."""
    close = goog.Close
    entries = (close > close.rolling(20).mean()).to_numpy()
    exits = (close < close.rolling(10).mean()).to_numpy()
    params = _params(max_entries, fraction, size_type, size)
    ours = run(Bars.from_dataframe(goog), entries, exits, params)
    closed = assert_same_as_peer(ours, peer(goog, entries, exits, params))
    if max_entries > 1:
        assert max(np.bincount([t.exit_bar for t in closed])) > 1
    if fraction < 1:
        assert len({t.entry_bar for t in closed}) < len(closed)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(50))
def test_scaling_matches_backtesting_py_on_random_series(seed):
    """50 random series with random signals, unit counts, fractions and sizes."""
    rng = np.random.default_rng(5_000 + seed)
    df = _random_frame(rng, int(rng.integers(80, 300)))
    entries = df.Volume.to_numpy() >= 2
    exits = (df.Volume.to_numpy() == 1) | (df.Volume.to_numpy() == 3)
    fraction = float(rng.choice([1.0, 0.5, 0.3, 0.75, 0.1]))
    max_entries = int(rng.integers(2, 6)) if fraction == 1.0 else int(rng.integers(1, 6))
    size_type = ("value", "percent")[int(rng.integers(2))]
    size = (
        float(rng.choice([5_000.0, 30_000.0]))
        if size_type == "value"
        else float(rng.choice([20.0, 50.0, 100.0]))
    )
    params = _params(max_entries, fraction, size_type, size)
    ours = run(Bars.from_dataframe(df), entries, exits, params)
    assert_same_as_peer(ours, peer(df, entries, exits, params))
