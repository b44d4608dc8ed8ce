"""Entry orders opening units match backtesting.py 0.6.6 on GOOG and on 40 random series.

Ours: ``engine.run`` with ``max_entries``, ``exit_fraction`` and a limit, stop or stop-limit
``entry_order`` sized in percent (docs/execution.md, "Scaling in and out", "Entry orders
with units"). The peer: a ``Strategy`` that, on each close whose entry signal holds while
fewer than ``max_entries`` units are held and no order of its is pending, places
``self.buy(size=f, limit=…, stop=…)`` with the prices ours computes on that bar, and on each
exit cancels its pending order and calls ``self.position.close(portion)``. Where
backtesting.py has no rule it follows ours, as ``test_engine_orders_parity``'s peer does:
it cancels an order after ``valid_bars`` bars. Its relative size f is sized at the fill
from its available margin, which for a long is our cash (its equity less the longs' value
at any price), so it buys our count. Equity on every bar within 1e-9 relative and the
closed trades as ``test_engine_scaling_stops_parity`` compares them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from tests.engine.test_engine_position_exits_parity import _random_frame
from tests.engine.test_engine_scaling_stops_parity import FEE, assert_same_as_peer


def peer(df: pd.DataFrame, entries, exits, limit, stop, params: TradingParams):
    """backtesting.py buying a unit per filled order, one order pending at a time."""
    n_bars, kind, valid = len(df), params.entry_type, params.valid_bars
    part = params.position_size / 100.0

    class UnitOrders(Strategy):
        def init(self):
            self.pending, self.placed = None, 0

        def next(self):
            i = len(self.data) - 1
            if self.pending is not None:
                if self.pending not in self.orders:  # filled, or cancelled by its broker
                    self.pending = None
                elif i >= self.placed + valid:  # ours expires it after valid_bars
                    self.pending.cancel()
                    self.pending = None
            if i >= n_bars - 1 or entries[i] == exits[i]:
                return
            if exits[i]:
                if self.pending is not None:
                    self.pending.cancel()
                    self.pending = None
                if self.position:
                    self.position.close(portion=params.exit_fraction)
                return
            units = len({trade.entry_bar for trade in self.trades})
            if self.pending is not None or units >= params.max_entries:
                return
            prices = {}
            if kind in ("limit", "stop_limit"):
                prices["limit"] = float(limit[i])
            if kind in ("stop", "stop_limit"):
                prices["stop"] = float(stop[i])
            self.pending, self.placed = self.buy(size=part, **prices), i

    bt = Backtest(df, UnitOrders, cash=params.initial_capital, commission=FEE)
    return bt.run()


def _params(kind: str, max_entries: int, fraction: float, percent: float, valid: int):
    return TradingParams(
        initial_capital=100_000,
        fee_rate=FEE,
        position_size=percent,
        size_type="percent",
        max_entries=max_entries,
        exit_fraction=fraction,
        entry_type=kind,
        valid_bars=valid,
    )


def _prices(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A buy limit 1 % under the close and a buy stop 0.5 % over the high."""
    return df.Close.to_numpy() * 0.99, df.High.to_numpy() * 1.005


GOOG_CASES = [
    ("limit", 3, 1.0, 30.0, 2),
    ("stop", 4, 0.5, 25.0, 1),
    ("stop_limit", 3, 0.5, 40.0, 3),
    ("limit", 2, 0.3, 50.0, 5),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("kind", "max_entries", "fraction", "percent", "valid"), GOOG_CASES)
def test_orders_opening_units_match_backtesting_py_on_goog(
    goog, kind, max_entries, fraction, percent, valid
):
    """Entries while close is above its 20-bar mean, exits while below its 10-bar mean."""
    close = goog.Close
    entries = (close > close.rolling(20).mean()).to_numpy()
    exits = (close < close.rolling(10).mean()).to_numpy()
    limit, stop = _prices(goog)
    if kind == "stop_limit":
        limit = goog.High.to_numpy() * 1.01  # above the stop: fills on its trigger bar
    params = _params(kind, max_entries, fraction, percent, valid)
    ours = run(Bars.from_dataframe(goog), entries, exits, params, limit=limit, stop=stop)
    closed = assert_same_as_peer(ours, peer(goog, entries, exits, limit, stop, params))
    assert max(np.bincount([t.exit_bar for t in closed])) > 1  # units closed together
    statuses = set(ours.orders.status.tolist())
    assert {1, 2} <= statuses, statuses  # filled and expired orders


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(40))
def test_orders_opening_units_match_backtesting_py_on_random_series(seed):
    rng = np.random.default_rng(59_000 + seed)
    df = _random_frame(rng, int(rng.integers(80, 300)))
    kind = ("limit", "stop", "stop_limit")[seed % 3]
    entries = df.Volume.to_numpy() >= 2
    exits = (df.Volume.to_numpy() == 1) | (df.Volume.to_numpy() == 3)
    limit, stop = _prices(df)
    if kind == "stop_limit":
        limit = df.High.to_numpy() * float(rng.choice([0.995, 1.01]))
    params = _params(
        kind,
        int(rng.integers(1, 5)),
        float(rng.choice([1.0, 0.5, 0.3])),
        float(rng.choice([20.0, 40.0])),
        int(rng.integers(1, 4)),
    )
    ours = run(Bars.from_dataframe(df), entries, exits, params, limit=limit, stop=stop)
    assert_same_as_peer(ours, peer(df, entries, exits, limit, stop, params))
