"""A run request with liquidity fields (docs/execution.md, "Liquidity"): they reach the
engine and the stored request, change the result of a run on the demo data, bad values are
400s naming the field, and a request without them (or with them at their defaults) stores
the bytes it always did."""

from __future__ import annotations

import json
import math

import pytest

from engine.param_specs import (
    IMPACT_K,
    IMPACT_WINDOW,
    PRICE_IMPACT,
    SPREAD_BOTH,
    SPREAD_BPS,
    SPREAD_WINDOW,
    VOLUME_LIMIT,
)
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute
from kinds.runs.request_model import json_schema

BODY = {
    "ticker": "ACME",
    "rule_type": "EXPR",
    "params": {"entry": "close > sma(close, 20)", "exit": "close < sma(close, 10)"},
    "start_date": "2016-01-01",
    "end_date": "2019-06-30",
    "charts": False,
    "initial_capital": 1e9,
    "size_type": "percent",
    "position_size": 100.0,
}

LIQUID = {
    "volume_limit": 0.01,
    "slippage_model": "square_root",
    "impact_k": 0.5,
    "impact_window": 10,
    "spread_model": "corwin_schultz",
    "spread_window": 10,
}


def _error(**fields) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_request({**BODY, **fields})
    return caught.value


def test_the_fields_reach_the_engine_and_the_stored_request_and_cost_a_large_book():
    """A billion all-in on ACME at 1% of each bar's volume: the fills spread over bars (an
    exit sold in parts is several trades) and pay impact and spread."""
    request = parse_request({**BODY, **LIQUID})
    params = request.trading_params()
    assert (params.volume_limit, params.slippage_model, params.impact_k) == (
        0.01,
        "square_root",
        0.5,
    )
    assert (params.impact_window, params.spread_model, params.spread_window) == (
        10,
        "corwin_schultz",
        10,
    )
    stored = request.to_dict()
    assert {name: stored[name] for name in LIQUID} == LIQUID
    assert "price_impact" not in stored and "spread_bps" not in stored
    liquid = execute(request)
    plain = execute(parse_request(BODY))
    assert liquid.metrics["total_return_pct"] != plain.metrics["total_return_pct"]
    entered = [t["entry_timestamp"] for t in liquid.to_dict()["trades"]]
    assert len(set(entered)) < len(entered)  # a unit sold in parts over several bars


def test_a_request_without_them_or_with_their_defaults_stores_what_it_always_did():
    defaults = {
        "volume_limit": None,
        "slippage_model": "fixed",
        "price_impact": 0.1,
        "impact_k": 1,
        "impact_window": 20,
        "spread_bps": None,
        "spread_model": None,
        "spread_window": 20,
    }
    stored = parse_request({**BODY, **defaults}).to_dict()
    assert not set(defaults) & set(stored)
    assert stored == parse_request(BODY).to_dict() | {"run_id": stored["run_id"]}
    assert not parse_request({**BODY, **defaults}).trading_params().liquid


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"volume_limit": 0}, "volume_limit", VOLUME_LIMIT.message),
        ({"volume_limit": -0.5}, "volume_limit", VOLUME_LIMIT.message),
        ({"volume_limit": 1.0001}, "volume_limit", VOLUME_LIMIT.message),
        ({"volume_limit": 1e308}, "volume_limit", VOLUME_LIMIT.message),
        ({"volume_limit": "0.1"}, "volume_limit", "must be a number"),
        ({"volume_limit": True}, "volume_limit", "must be a number"),
        ({"price_impact": -1}, "price_impact", PRICE_IMPACT.message),
        ({"price_impact": 1e300}, "price_impact", PRICE_IMPACT.message),
        ({"impact_k": 101}, "impact_k", IMPACT_K.message),
        ({"impact_window": 1}, "impact_window", IMPACT_WINDOW.message),
        ({"impact_window": 2.5}, "impact_window", IMPACT_WINDOW.message),
        ({"impact_window": 10**30}, "impact_window", IMPACT_WINDOW.message),
        ({"spread_bps": -0.1}, "spread_bps", SPREAD_BPS.message),
        ({"spread_bps": 10_000}, "spread_bps", SPREAD_BPS.message),
        ({"spread_window": 0}, "spread_window", SPREAD_WINDOW.message),
        ({"slippage_model": "linear"}, "slippage_model", None),
        ({"slippage_model": None}, "slippage_model", None),
        ({"spread_model": "roll"}, "spread_model", None),
        ({"spread_bps": 5, "spread_model": "abdi_ranaldo"}, "spread_model", SPREAD_BOTH),
    ],
)
def test_bad_values_are_400s_naming_the_field(fields, field, message):
    error = _error(**fields)
    assert error.field == field
    if message is not None:
        assert error.message == message


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("field", ["volume_limit", "price_impact", "impact_k", "spread_bps"])
def test_a_non_finite_number_is_a_400_naming_the_field(field, value):
    assert _error(**{field: value}).field == field


def test_the_request_schema_describes_them():
    properties = json_schema()["properties"]
    assert properties["slippage_model"]["enum"] == ["fixed", "volume_share", "square_root"]
    for name in ("volume_limit", "price_impact", "impact_k", "impact_window", "spread_bps"):
        assert name in properties


def test_a_limit_entry_run_reports_each_order_s_ordered_filled_and_remaining_shares():
    """With a volume limit each order record has its quantities; the shares the filled
    orders filled are the shares their trades bought; a run without it has none of them."""
    order = {"type": "limit", "limit": "close * 1.01", "valid_bars": 3}
    body = {**BODY, "entry_order": order, "volume_limit": 0.001}
    result = execute(parse_request(body)).to_dict()
    orders, trades = result["orders"], result["trades"]
    assert orders and all(
        o["ordered_qty"] == o["filled_qty"] + o["remaining_qty"] and o["remaining_qty"] >= 0
        for o in orders
    )
    assert any(o["remaining_qty"] > 0 and o["filled_qty"] > 0 for o in orders)
    assert sum(o["filled_qty"] for o in orders) == sum(t["size"] for t in trades)
    json.dumps(result, allow_nan=False)
    plain = execute(parse_request({**BODY, "entry_order": order})).to_dict()
    assert all("filled_qty" not in o for o in plain["orders"])
