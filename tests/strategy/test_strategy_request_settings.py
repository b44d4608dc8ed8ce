"""The book's settings as PYTHON request fields (``margin``, ``hedging``,
``trade_on_close``, ``exclusive_orders``; ``kinds.runs.python_request.check_settings``):
400s naming the field, the cache key, and for each one the platform's run through the
request against backtesting.py 0.6.6 on the same bars with the same setting (the parity
tests' feature strategies, sent as their modules' source): equity on every bar to 1e-9
relative, every closed trade equal."""

from __future__ import annotations

import warnings

import backtesting
import numpy as np
import pytest
from backtesting.lib import crossover

from bench.strategy_bench import strategy_module
from kinds.runs.cache import cache_key
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import execute_request
from kinds.runs.python_run import strategy_frame
from tests.runs.python_strategies import ACME_SMA_CROSS
from tests.strategy.test_strategy_parity import brackets, entry_orders, partial_closes

SETTINGS = {
    "margin": (brackets, {"margin": 0.2}),
    "hedging": (entry_orders, {"hedging": True}),
    "trade_on_close": (partial_closes, {"trade_on_close": True}),
    "exclusive_orders": (brackets, {"exclusive_orders": True}),
}
"""Each setting with a strategy of the parity tests that it changes."""

BODY = {
    **ACME_SMA_CROSS,
    "initial_capital": 100_000,
    "fee_rate": 0.001,
    "charts": False,
}


def module_of(make) -> dict:
    """The request fields of the strategy factory ``make``: its module's source and class."""
    source, name = strategy_module(make)
    return {"strategy_code": source, "strategy_class": name}


@pytest.mark.parametrize("setting", SETTINGS)
def test_each_setting_through_the_request_matches_backtesting_py(setting):
    make, fields = SETTINGS[setting]
    request = parse_request({**BODY, **module_of(make), **fields})
    assert request.to_dict()[setting] == fields[setting]
    result = execute_request(request)
    assert result.status == "SUCCEEDED"
    bars = strategy_frame(market_window(load_market_data(request)).bars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = backtesting.Backtest(
            bars, make(backtesting.Strategy, crossover), cash=100_000, commission=0.001, **fields
        ).run()
    equity = peer["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(result.equity_curve["equity"], equity, rtol=1e-9, atol=0)
    trades = peer["_trades"]
    assert len(result.trades) == len(trades) > 3
    assert [t["entry_price"] for t in result.trades] == trades["EntryPrice"].tolist()
    assert [t["exit_price"] for t in result.trades] == trades["ExitPrice"].tolist()
    assert [t["size"] for t in result.trades] == trades["Size"].abs().tolist()
    np.testing.assert_allclose([t["pnl_abs"] for t in result.trades], trades["PnL"], rtol=1e-9)
    without = execute_request(parse_request({**BODY, **module_of(make)}))
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
        parse_request({**BODY, **module_of(brackets), **fields})
    assert caught.value.field == field


def test_the_settings_are_in_the_cache_key_and_their_defaults_store_nothing():
    base = {**BODY, **module_of(brackets)}
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
