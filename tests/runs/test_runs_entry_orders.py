"""A run request's ``entry_order``: validation (400s naming the field), the normalised
request, and the result's orders and trades (docs/execution.md, "Entry orders")."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from engine import Bars, TradingParams, run
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute

BASE = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 30},
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "charts": False,
}

LIMIT = {"type": "limit", "limit": "close * (1 - $k/100)", "params": {"k": 1}, "valid_bars": 3}


def test_a_request_without_entry_order_or_with_a_market_one_is_today_s_request():
    """No ``entry_order`` and ``{"type": "market"}`` normalise to the same stored bytes,
    which hold no ``entry_order`` key."""
    plain = parse_request(BASE).to_dict()
    market = parse_request({**BASE, "entry_order": {"type": "market"}}).to_dict()
    del plain["run_id"], market["run_id"]
    assert plain == market
    assert "entry_order" not in plain


def test_an_entry_order_is_normalised_with_its_checked_param_values():
    request = parse_request({**BASE, "entry_order": LIMIT})
    assert request.entry_order == {
        "type": "limit",
        "limit": "close * (1 - $k/100)",
        "params": {"k": 1.0},
        "valid_bars": 3,
    }
    params = request.trading_params()
    assert (params.entry_type, params.valid_bars) == ("limit", 3)


HOSTILE = [
    ("__import__('os').system('id')", "entry_order.limit"),
    ("open('/etc/passwd')", "entry_order.limit"),
    ("close." + "x" * 50, "entry_order.limit"),
    ("(" * 5_000 + "close" + ")" * 5_000, "entry_order.limit"),
    ("sma(" * 300 + "close" + ", 5)" * 300, "entry_order.limit"),
    ("close > 1", "entry_order.limit"),
    ("$" * 1_999, "entry_order.limit"),
    ("lag(close, 99999999)", "entry_order.limit"),
    ("close * 1e999999", "entry_order.limit"),
    ("x" * 2_001, "entry_order.limit"),
]


@pytest.mark.parametrize(("text", "field"), HOSTILE)
def test_hostile_price_texts_are_400s_naming_the_field_within_200_ms(text, field):
    parse_request({**BASE, "entry_order": LIMIT})  # the parser is loaded: time the check only
    started = time.perf_counter()
    with pytest.raises(RequestError) as err:
        parse_request({**BASE, "entry_order": {"type": "limit", "limit": text}})
    assert time.perf_counter() - started < 0.2
    assert err.value.field == field


@pytest.mark.parametrize(
    ("order", "field"),
    [
        ({"type": "limit"}, "entry_order.limit"),
        ({"type": "market_if_touched"}, "entry_order.limit"),
        ({"type": "market_if_touched", "limit": "close", "stop": "low"}, "entry_order.stop"),
        ({"type": "stop", "limit": "close"}, "entry_order.limit"),
        ({"type": "stop_limit", "limit": "close"}, "entry_order.stop"),
        ({"type": "stop", "stop": "close * $k"}, "entry_order.params.k"),
        ({"type": "stop", "stop": "close", "params": {"k": 1}}, "entry_order.params.k"),
        (
            {"type": "limit", "limit": "sma(close, $n)", "params": {"n": 1.5}},
            "entry_order.params.n",
        ),
        ({"type": "limit", "limit": "close", "valid_bars": 0}, "entry_order.valid_bars"),
        ({"type": "limit", "limit": "close", "valid_bars": 2.5}, "entry_order.valid_bars"),
        ({"type": "limit", "limit": 3}, "entry_order.limit"),
        ({"type": "iceberg"}, "entry_order.type"),
        ({"type": "market", "limit": "close"}, "entry_order.limit"),
        ({"type": "limit", "limit": "close", "tif": "gtc"}, "entry_order.tif"),
        ("limit", "entry_order"),
    ],
)
def test_a_bad_entry_order_is_a_400_naming_the_field(order, field):
    with pytest.raises(RequestError) as err:
        parse_request({**BASE, "entry_order": order})
    assert err.value.field == field


def test_a_limit_entry_run_reports_its_orders_and_each_trade_s_entry_order(demo_data_dir):
    """The result's orders agree with its trades: every filled order opened the trade
    entered on its fill bar at its fill price; each trade says it entered by a limit."""
    result = execute(parse_request({**BASE, "entry_order": LIMIT})).to_dict()
    orders, trades = result["orders"], result["trades"]
    assert {o["status"] for o in orders} >= {"filled", "expired"}
    filled = [o for o in orders if o["status"] == "filled"]
    assert [(o["fill_timestamp"], o["fill_price"]) for o in filled] == [
        (t["entry_timestamp"], t["entry_price"]) for t in trades
    ]
    assert all(t["entry_order"] == "limit" for t in trades)
    assert all(o["limit"] is not None and o["stop"] is None for o in orders)
    json.dumps(result, allow_nan=False)
    plain = execute(parse_request(BASE)).to_dict()
    assert "orders" not in plain and all("entry_order" not in t for t in plain["trades"])


def test_a_limit_order_fills_at_the_open_on_a_gap_and_expires_after_valid_bars():
    """Hand-made bars: a buy limit at 95 placed on bar 1's close. valid_bars 1: bar 2
    (low 96) does not reach it, so it expires there. valid_bars 2: bar 3 opens at 94, below
    the limit, and fills at that open (gap through), not at 95."""
    days = np.arange(6).astype("datetime64[D]")
    open_ = [100, 100, 99, 94, 96, 97]
    high = [101, 101, 100, 97, 98, 98]
    low = [99, 99, 96, 93, 95, 96]
    close = [100, 100, 97, 96, 97, 97]
    bars = Bars(days, open_, high, low, close, [1] * 6)
    entries = np.array([False, True, False, False, False, False])
    exits = np.zeros(6, dtype=bool)
    limit = np.full(6, 95.0)
    for valid, expected in ((1, ()), (2, ((3, 94.0),))):
        params = TradingParams(
            fee_rate=0.0, position_size=940, entry_type="limit", valid_bars=valid
        )
        result = run(bars, entries, exits, params, limit=limit)
        assert tuple((t.entry_bar, t.entry_price) for t in result.trades) == expected
        status = "expired" if valid == 1 else "filled"
        assert [result.orders.status[0]] == [("pending", "filled", "expired").index(status)]


@pytest.mark.parametrize(
    "order",
    [
        LIMIT,
        {"type": "on_close"},
        {"type": "stop", "stop": "high"},
        {"type": "market_if_touched", "limit": "close * 0.99"},
    ],
    ids=lambda o: o["type"],
)
def test_a_long_short_run_with_entry_orders_pays_the_borrow_fee_on_its_shorts(order):
    """A borrow rate beside an entry order: every short trade pays a borrow fee, no long
    does, and with nothing left open the trades' profits (net of it) add up to the
    equity's change, so each charge is in the trade that held the short at that close."""
    body = {
        **BASE,
        "entry_order": order,
        "direction": "longshort",
        "borrow_rate": 0.05,
        "close_open_trades_at_end": True,
    }
    result = execute(parse_request(body)).to_dict()
    trades = result["trades"]
    assert {t["side"] for t in trades} == {"BUY", "SELL"}
    for t in trades:
        assert (t["borrow_fee"] > 0) == (t["side"] == "SELL")
    equity = result["equity_curve"]["equity"]
    assert sum(t["pnl_abs"] for t in trades) == pytest.approx(equity[-1] - equity[0], abs=1e-6)
    free = execute(parse_request({**body, "borrow_rate": None})).to_dict()
    assert free["equity_curve"]["equity"][-1] > equity[-1]


def test_the_every_feature_benchmark_run_uses_every_feature():
    """``bench.orders_bench``'s every-feature run (its ``FEATURES`` on the plain EXPR run) is
    a valid request whose result shows each feature at work: filled limit orders, the
    fixed and minimum fees on every order, shorts paying a borrow fee, the close at the end,
    and entry texts reading DEMOIX and weekly bars."""
    from bench.orders_bench import FEATURES, PLAIN, with_features

    request = parse_request(with_features(PLAIN, FEATURES))
    assert 'ref("DEMOIX"' in request.params["entry"] and 'tf("1w"' in request.params["entry"]
    result = execute(request).to_dict()
    trades = result["trades"]
    assert any(o["status"] == "filled" for o in result["orders"])
    assert all(t["entry_order"] == "limit" and t["entry_fee"] >= 2.0 for t in trades)
    assert any(t["borrow_fee"] > 0 for t in trades if t["side"] == "SELL")
    assert trades[-1]["exit_reason"] == "closed_at_end"
    plain = execute(parse_request(PLAIN)).to_dict()
    assert len(plain["trades"]) != len(trades)
