"""The book's settings as PYTHON request fields (``margin``, ``hedging``,
``trade_on_close``, ``exclusive_orders``; ``kinds.runs.python_request.check_settings``):
400s naming the field, the cache key, and for each one the platform's run through the
request against backtesting.py 0.6.6 on the same bars with the same setting: equity on
every bar to 1e-9 relative, every closed trade equal."""

from __future__ import annotations

import warnings

import backtesting
import numpy as np
import pytest

from kinds.runs.cache import cache_key
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import execute_request
from kinds.runs.python_run import strategy_frame
from tests.runs.python_strategies import ACME_SMA_CROSS

STRATEGIES = """\
import numpy as np
import pandas as pd
from backtest_strategy import Strategy
from backtest_strategy.lib import crossover


def sma(values, n):
    return pd.Series(values).rolling(n).mean()


class Brackets(Strategy):
    def init(self):
        self.sma1 = self.I(sma, self.data.Close, 3)
        self.sma2 = self.I(sma, self.data.Close, 8)

    def next(self):
        close = self.data.Close[-1]
        if crossover(self.sma1, self.sma2):
            self.buy(sl=close * 0.97, tp=close * 1.04, tag="long")
        elif crossover(self.sma2, self.sma1):
            self.sell(size=0.5, sl=close * 1.03, tp=close * 0.95, tag="short")


class EntryOrders(Strategy):
    def init(self):
        pass

    def next(self):
        close, i = self.data.Close[-1], len(self.data)
        for order in self.orders:
            if not order.is_contingent and order.tag is not None and i - order.tag > 5:
                order.cancel()
        if i % 7 == 0:
            self.buy(size=10, limit=close * 0.99, sl=close * 0.95, tp=close * 1.05, tag=i)
        elif i % 7 == 2:
            self.sell(size=7, stop=close * 0.99, sl=close * 1.04, tp=close * 0.96, tag=i)
        elif i % 7 == 4:
            self.buy(size=0.2, stop=close * 1.005, limit=close * 1.01, tag=i)
        elif i % 7 == 5:
            self.sell(size=5, stop=close * 0.995, limit=close * 0.99, tag=i)


class PartialCloses(Strategy):
    def init(self):
        pass

    def next(self):
        i, close = len(self.data), self.data.Close[-1]
        if i % 5 == 0:
            self.buy(size=30)
        if i % 5 == 2 and self.position:
            self.position.close(0.3)
        if i % 9 == 3 and self.trades:
            self.trades[0].close(np.float32(0.5))
        if i % 6 == 1:
            for trade in self.trades:
                if trade.is_long:
                    trade.sl = self.data.Close * 0.98
                    trade.tp = None if trade.tp else close * 1.03
        if i % 11 == 10:
            self.sell(size=45)
        if i % 13 == 12 and self.position.pl_pct > 1:
            self.position.close()
"""
"""The parity tests' feature strategies (``tests/strategy/test_strategy_parity.py``) as a
module's source, which the request sends and backtesting.py runs after its imports are
changed back."""

BODY = {
    **ACME_SMA_CROSS,
    "strategy_code": STRATEGIES,
    "initial_capital": 100_000,
    "fee_rate": 0.001,
    "charts": False,
}

SETTINGS = {
    "margin": ("Brackets", {"margin": 0.2}),
    "hedging": ("EntryOrders", {"hedging": True}),
    "trade_on_close": ("PartialCloses", {"trade_on_close": True}),
    "exclusive_orders": ("Brackets", {"exclusive_orders": True}),
}


def peer_class(name: str) -> type:
    """The class ``name`` of ``STRATEGIES`` built on backtesting.py's ``Strategy``."""
    source = STRATEGIES.replace("from backtest_strategy import", "from backtesting import")
    source = source.replace("backtest_strategy.lib", "backtesting.lib")
    namespace: dict = {}
    exec(compile(source, "peer_strategies.py", "exec"), namespace)  # the test's own code
    return namespace[name]


@pytest.mark.parametrize("setting", SETTINGS)
def test_each_setting_through_the_request_matches_backtesting_py(setting):
    name, fields = SETTINGS[setting]
    request = parse_request({**BODY, "strategy_class": name, **fields})
    assert request.to_dict()[setting] == fields[setting]
    result = execute_request(request)
    assert result.status == "SUCCEEDED"
    bars = strategy_frame(market_window(load_market_data(request)).bars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = backtesting.Backtest(
            bars, peer_class(name), cash=100_000, commission=0.001, **fields
        ).run()
    equity = peer["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(result.equity_curve["equity"], equity, rtol=1e-9, atol=0)
    trades = peer["_trades"]
    assert len(result.trades) == len(trades) > 3
    assert [t["entry_price"] for t in result.trades] == trades["EntryPrice"].tolist()
    assert [t["exit_price"] for t in result.trades] == trades["ExitPrice"].tolist()
    assert [t["size"] for t in result.trades] == trades["Size"].abs().tolist()
    np.testing.assert_allclose([t["pnl_abs"] for t in result.trades], trades["PnL"], rtol=1e-9)
    without = execute_request(parse_request({**BODY, "strategy_class": name}))
    assert without.equity_curve["equity"] != result.equity_curve["equity"], "the field acts"


RULE = {"rule_type": "SMA_CROSS", "params": None, "strategy_code": None, "strategy_class": None}
"""A rule's request, which may not set a book setting."""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"margin": 0}, "margin"),
        ({"margin": 1.5}, "margin"),
        ({"margin": "half"}, "margin"),
        ({"margin": True}, "margin"),
        ({"margin": float("nan")}, "margin"),
        ({"hedging": "yes"}, "hedging"),
        ({"trade_on_close": 1}, "trade_on_close"),
        ({"exclusive_orders": [True]}, "exclusive_orders"),
        (RULE | {"hedging": True}, "hedging"),
        (RULE | {"margin": 0.5}, "margin"),
    ],
)
def test_a_bad_setting_is_a_400_naming_it(fields, field):
    with pytest.raises(RequestError) as caught:
        parse_request({**BODY, "strategy_class": "Brackets", **fields})
    assert caught.value.field == field


def test_the_settings_are_in_the_cache_key_and_their_defaults_store_nothing():
    base = {**BODY, "strategy_class": "Brackets"}
    plain = parse_request(base)
    defaults = parse_request(
        {**base, "margin": 1, "hedging": False, "trade_on_close": None, "exclusive_orders": False}
    )
    assert plain.to_dict() == {**defaults.to_dict(), "run_id": plain.run_id}
    assert not {"margin", "hedging", "trade_on_close", "exclusive_orders"} & set(plain.to_dict())
    keys = {cache_key(plain, "h")}
    for _, fields in SETTINGS.values():
        keys.add(cache_key(parse_request({**base, **fields}), "h"))
    assert len(keys) == 5
