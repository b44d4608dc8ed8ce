"""``exit_priority`` matches backtesting.py written the natural way, on GOOG and on random series.

Ours: an EXPR rule whose entry is a state (it holds on many bars in a row) and whose exit is
a time exit ``bars_held >= $hold`` (joined with a signal exit in some cases), through the
language path a request takes, with ``exit_priority`` set. The peer: the strategy a quant
writes first, ``if self.position and <exit>: self.position.close()`` then ``elif not
self.position and <entry>: self.buy()``, its bars held counted from its own
``trade.entry_bar``; no guard for the last bar (an order placed there never fills, as our
signal on the last bar). Long-only, all-in, 0.1 % commission: equity on every bar within
1e-9 relative and every closed trade equal (docs/execution.md, "Execution convention").
Without ``exit_priority`` the same rule keeps a trade open while its entry still holds on
the bar its time exit comes due, and the numbers differ from the peer's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from rules import generate_signals_batch, position_exits, validate_rule
from tests.engine.test_engine_stops_parity import assert_same_as_peer


def ours(bars: Bars, entry: str, exit_: str, hold: int, exit_priority: bool):
    """The EXPR rule's run (all-in, 0.1 %), and its entry and signal-exit rows."""
    _, checked = validate_rule("EXPR", {"entry": entry, "exit": exit_, "hold": hold})
    cache: dict = {}
    entries, exits = generate_signals_batch("EXPR", [checked], bars, cache, validated=True)
    (held,) = position_exits("EXPR", [checked], bars, slice(0, len(bars)), cache)
    params = TradingParams(
        fee_rate=0.001, position_size=100, size_type="percent", exit_priority=exit_priority
    )
    return run(bars, entries[0], exits[0], params, position_exit=held), entries[0], exits[0]


def natural_peer(df: pd.DataFrame, entries: np.ndarray, exits: np.ndarray, hold: int):
    """backtesting.py's strategy as written first: close when held ``hold`` bars (or on the
    signal exit), else buy on the entry when flat."""

    class TimeExit(Strategy):
        def init(self):
            pass

        def next(self):
            t = len(self.data) - 1
            if self.position and (exits[t] or t - self.trades[-1].entry_bar >= hold):
                self.position.close()
            elif not self.position and entries[t]:
                self.buy()

    return Backtest(df, TimeExit, cash=100_000, commission=0.001, trade_on_close=False).run()


GOOG_CASES = [
    ("rsi(close, 14) < 40", "bars_held >= $hold", 5),
    ("close < bb_lower(close, 20, 1)", "bars_held >= $hold", 5),
    ("close < sma(close, 20)", "bars_held >= $hold", 3),
    ("rsi(close, 14) < 45", "close > sma(close, 50) or bars_held >= $hold", 10),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("entry", "exit_", "hold"), GOOG_CASES)
def test_exit_priority_time_exit_matches_natural_backtesting_py_on_goog(goog, entry, exit_, hold):
    """A state entry with a time exit on all 2,148 bars: with ``exit_priority`` every trade
    is held exactly ``hold`` + 1 bars (or closed earlier by the signal exit), and equity and
    trades equal the natural peer's; without it some trades outlast the time exit."""
    bars = Bars.from_dataframe(goog)
    result, entries, exits = ours(bars, entry, exit_, hold, exit_priority=True)
    stats = natural_peer(goog, entries, exits, hold)
    closed = assert_same_as_peer(result, stats)
    assert max(t.exit_bar - t.entry_bar for t in closed) == hold + 1
    default, _, _ = ours(bars, entry, exit_, hold, exit_priority=False)
    assert max(t.exit_bar - t.entry_bar for t in default.trades if not t.is_open) > hold + 1
    assert default.metrics["total_return_pct"] != result.metrics["total_return_pct"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(30))
def test_exit_priority_matches_natural_backtesting_py_on_random_series(seed):
    """30 random walks with random state entries (runs of bars), a random signal exit that
    is often true with the entry, and a random hold: equity and trades equal the peer's."""
    rng = np.random.default_rng(7_000 + seed)
    n_bars = int(rng.integers(80, 300))
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n_bars)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, 0.01, n_bars))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, n_bars)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, n_bars)))
    state = np.repeat(rng.random(n_bars // 4 + 1) < 0.5, 4)[:n_bars]
    volume = 2.0 * state + (rng.random(n_bars) < 0.1)
    volume[0] = 0.0  # the peer's first next() is on bar 1
    index = pd.date_range("2020-01-01", periods=n_bars, freq="D")
    df = pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}, index=index
    )
    hold = int(rng.integers(1, 8))
    exit_ = "volume == 1 or volume == 3 or bars_held >= $hold"
    result, entries, exits = ours(Bars.from_dataframe(df), "volume >= 2", exit_, hold, True)
    assert (entries & exits).any()
    assert_same_as_peer(result, natural_peer(df, entries, exits, hold))
