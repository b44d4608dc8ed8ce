"""Random strategies (Hypothesis): random plans of market, limit, stop and stop-limit orders
with and without stop-loss and take-profit, partial and whole closes of the position and of
single trades, SL/TP moves and cancels, under random settings (fees, spread, trade on close,
hedging, exclusive orders, finalized trades), give backtesting.py 0.6.6's equity on every
bar (1e-9 relative) and its trades."""

from __future__ import annotations

import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategy.peer import assert_same, random_frame, run_both

FULL = 1 - sys.float_info.epsilon

_size = st.one_of(st.sampled_from([0.1, 0.25, 0.5, 0.9, FULL]), st.integers(1, 60).map(float))
_pct = st.floats(0.002, 0.06)
_order = st.tuples(
    st.just("order"),
    st.sampled_from([1, -1]),
    _size,
    st.sampled_from(["market", "limit", "stop", "stop-limit"]),
    _pct,
    _pct,
    st.none() | _pct,
    st.none() | _pct,
)
_action = st.one_of(
    _order,
    st.tuples(st.just("close position"), st.sampled_from([0.25, 0.5, 1.0])),
    st.tuples(st.just("close trade"), st.integers(0, 5), st.sampled_from([0.3, 0.5, 1.0])),
    st.tuples(st.just("sl"), st.integers(0, 5), st.none() | _pct),
    st.tuples(st.just("tp"), st.integers(0, 5), st.none() | _pct),
)
_bar = st.tuples(st.none() | st.integers(0, 5), st.lists(_action, max_size=3))
_settings = st.fixed_dictionaries(
    {
        "commission": st.sampled_from([0.0, 0.001, (2.0, 0.001)]),
        "spread": st.sampled_from([0.0, 0.0005]),
        "trade_on_close": st.booleans(),
        "hedging": st.booleans(),
        "exclusive_orders": st.booleans(),
        "finalize_trades": st.booleans(),
    }
)


def planned(plan: dict, spread: float):
    """A strategy that does on bar i what ``plan[i]`` says: first cancel one pending
    order (its index), then the actions in order. Prices are fractions of the close."""

    def make(base, crossover):
        class Planned(base):
            def init(self):
                pass

            def next(self):
                cancel, actions = plan.get(len(self.data) - 1, (None, []))
                orders = self.orders
                if cancel is not None and orders:
                    orders[cancel % len(orders)].cancel()
                for action in actions:
                    getattr(self, "do_" + action[0].replace(" ", "_"))(*action[1:])

            def do_order(self, side, size, kind, a, b, sl, tp):
                close = self.data.Close[-1]
                limit = stop = None
                if kind == "limit":
                    limit = close * (1 - side * a)
                elif kind == "stop":
                    stop = close * (1 + side * a)
                elif kind == "stop-limit":
                    stop = close * (1 + side * a)
                    limit = stop * (1 + side * b)
                ref = limit or stop or close * (1 + side * spread)
                sl = sl and ref * (1 - side * sl)
                tp = tp and ref * (1 + side * tp)
                place = self.buy if side > 0 else self.sell
                place(size=size, limit=limit, stop=stop, sl=sl, tp=tp, tag=len(self.data))

            def do_close_position(self, portion):
                self.position.close(portion)

            def do_close_trade(self, k, portion):
                if self.trades:
                    self.trades[k % len(self.trades)].close(portion)

            def do_sl(self, k, pct):
                if self.trades:
                    trade = self.trades[k % len(self.trades)]
                    side = 1 if trade.is_long else -1
                    trade.sl = pct and self.data.Close[-1] * (1 - side * pct)

            def do_tp(self, k, pct):
                if self.trades:
                    trade = self.trades[k % len(self.trades)]
                    side = 1 if trade.is_long else -1
                    trade.tp = pct and self.data.Close[-1] * (1 + side * pct)

        return Planned

    return make


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    plan=st.dictionaries(st.integers(1, 79), _bar, max_size=40),
    options=_settings,
    wire=st.booleans(),
)
def test_random_strategies_match_backtesting_py(seed, plan, options, wire):
    """``wire``: the state and decisions pass through JSON each bar."""
    make = planned(plan, options["spread"])
    peer, ours = run_both(make, random_frame(seed, 80), wire=wire, cash=100_000, **options)
    assert_same(peer, ours)
