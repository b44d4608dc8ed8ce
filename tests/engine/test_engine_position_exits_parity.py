"""Position-aware exits match backtesting.py on GOOG and on 100 random series.

Ours: an EXPR rule whose exit names ``bars_held``, ``open_return``, ``max_open_return`` or
``entry_price``, through the whole language path (``rules.generate_signals_batch`` and
``rules.position_exits``) into ``engine.run``. The peer: a ``Strategy`` that, in ``next()``
on bar t's close, computes the same quantities from its own open trade (``trade.entry_bar``,
``trade.entry_price``) and the closes, and calls ``self.position.close()`` when the exit
holds (docs/execution.md, "Position-aware exits"). It follows our convention as the stops'
parity peer does (``test_engine_stops_parity``): a bar whose entry and exit both hold is
ignored, a signal on the last bar never fills, SL/TP levels come from the fill price and
are cancelled when the trade closes on a signal. Equity on every bar within 1e-9 relative
and every closed trade equal.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy

from engine import Bars, TradingParams, run
from rules import generate_signals_batch, position_exits, validate_rule
from tests.engine.test_engine_stops_parity import assert_same_as_peer

Rule = Callable[[bool, int, float, float, float, float], bool]
"""The peer's exit: (signal exit, bars held, entry price, open return, max open return,
close) -> whether it holds."""

CASES: dict[str, tuple[str, dict, Rule]] = {
    "time": ("bars_held >= $n", {"n": 7}, lambda x, held, p, r, best, c: x or held >= 7),
    "profit": ("open_return >= $k", {"k": 6.0}, lambda x, held, p, r, best, c: x or r >= 6.0),
    "give_back": (
        "max_open_return - open_return >= $g",
        {"g": 4.0},
        lambda x, held, p, r, best, c: x or best - r >= 4.0,
    ),
    "breakeven": (
        "(max_open_return >= $k and close <= entry_price)",
        {"k": 3.0},
        lambda x, held, p, r, best, c: x or (best >= 3.0 and c <= p),
    ),
}


def ours(bars: Bars, entry: str, exit_: str, values: dict, params: TradingParams):
    """The EXPR rule's run, through the language path a request takes."""
    _, checked = validate_rule("EXPR", {"entry": entry, "exit": exit_, **values})
    cache: dict = {}
    entries, exits = generate_signals_batch("EXPR", [checked], bars, cache, validated=True)
    (held,) = position_exits("EXPR", [checked], bars, slice(0, len(bars)), cache)
    result = run(bars, entries[0], exits[0], params, position_exit=held)
    return result, entries[0], exits[0]


def peer(df: pd.DataFrame, entries, exits, rule: Rule, direction: str, sl, tp):
    """backtesting.py acting on the signals, its exit recomputed from its own open trade."""
    opens, closes = df.Open.to_numpy(), df.Close.to_numpy()
    longshort = direction == "longshort"

    class PositionExits(Strategy):
        def init(self):
            pass

        def _open(self, side: int) -> None:
            entry = float(opens[len(self.data)])
            order = self.buy() if side > 0 else self.sell()
            order._replace(
                sl_price=entry * (1.0 - side * sl / 100.0) if sl else None,
                tp_price=entry * (1.0 + side * tp / 100.0) if tp else None,
            )

        def _close(self) -> None:
            for trade in self.trades:
                trade.sl = None
                trade.tp = None
            self.position.close()

        def _exit(self, t: int) -> bool:
            if not self.position.is_long:  # flat or short: the exit names no position
                return bool(exits[t])
            trade = self.trades[-1]
            price = trade.entry_price
            returns = 100.0 * (closes[trade.entry_bar : t + 1] / price - 1.0)
            best = float(np.max(returns))
            held_bars = t - trade.entry_bar
            return bool(rule(bool(exits[t]), held_bars, price, returns[-1], best, closes[t]))

        def next(self):
            t = len(self.data) - 1
            if t >= len(opens) - 1:
                return  # a signal on the last bar never fills
            signal = int(entries[t]) - int(self._exit(t))
            position = self.position
            if signal == 1 and not position.is_long:
                if position:
                    self._close()
                self._open(1)
            elif signal == -1 and not position.is_short:
                if position.is_long:
                    self._close()
                if longshort:
                    self._open(-1)

    bt = Backtest(df, PositionExits, cash=100_000, commission=0.001, trade_on_close=False)
    return bt.run()


def _params(direction: str, sl, tp) -> TradingParams:
    return TradingParams(
        initial_capital=100_000,
        fee_rate=0.001,
        position_size=100,
        size_type="percent",
        direction=direction,
        stop_loss_pct=sl,
        take_profit_pct=tp,
    )


SMA_ENTRY = "crossover(sma(close, 10), sma(close, 20))"
SMA_EXIT = "crossunder(sma(close, 10), sma(close, 20))"


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("direction", ["longonly", "longshort"])
@pytest.mark.parametrize(("sl", "tp"), [(None, None), (4.0, 8.0)])
def test_position_exits_match_backtesting_py_on_goog(goog, case, direction, sl, tp):
    """SMA(10, 20) cross entries and exits joined with each position exit, on all 2,148
    bars: equity on every bar and every trade equal the peer's; the position exit fires."""
    text, values, rule = CASES[case]
    bars = Bars.from_dataframe(goog)
    result, entries, exits = ours(
        bars, SMA_ENTRY, f"{SMA_EXIT} or {text}", values, _params(direction, sl, tp)
    )
    stats = peer(goog, entries, exits, rule, direction, sl, tp)
    closed = assert_same_as_peer(result, stats)
    by_signal_not_cross = [t for t in closed if t.exit_reason == "signal" and t.direction > 0]
    crossed = set(np.flatnonzero(exits).tolist())
    assert any(t.exit_bar - 1 not in crossed for t in by_signal_not_cross)


def _random_frame(rng: np.random.Generator, n_bars: int) -> pd.DataFrame:
    """A random walk with random entries and exits in its volume: 2 × entry + exit."""
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n_bars)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, 0.01, n_bars))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, n_bars)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, n_bars)))
    entries, exits = rng.random(n_bars) < 0.06, rng.random(n_bars) < 0.04
    entries[0] = exits[0] = False
    volume = 2.0 * entries + exits
    index = pd.date_range("2020-01-01", periods=n_bars, freq="D")
    frame = {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}
    return pd.DataFrame(frame, index=index)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(100))
def test_position_exits_match_backtesting_py_on_random_series(seed):
    """100 random series with random signals, a random position exit, direction and stops:
    equity on every bar and every trade equal the peer's."""
    rng = np.random.default_rng(1_000 + seed)
    df = _random_frame(rng, int(rng.integers(80, 300)))
    case = list(CASES)[seed % len(CASES)]
    direction = ("longonly", "longshort")[int(rng.integers(2))]
    sl = float(rng.choice([0.0, 3.0])) or None
    tp = float(rng.choice([0.0, 7.0])) or None
    text, values, rule = CASES[case]
    bars = Bars.from_dataframe(df)
    result, entries, exits = ours(
        bars, "volume >= 2", f"volume == 1 or volume == 3 or {text}", values,
        _params(direction, sl, tp),
    )  # fmt: skip
    assert (entries == (df.Volume.to_numpy() >= 2)).all()
    stats = peer(df, entries, exits, rule, direction, sl, tp)
    assert_same_as_peer(result, stats)
