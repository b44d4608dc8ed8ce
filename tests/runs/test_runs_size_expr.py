"""A run request's ``size_expr``: validation (400s naming the field, quickly), the
normalised request (absent when not given: the same stored bytes as before), and a run
sized by it (docs/execution.md, "Position size as an expression")."""

from __future__ import annotations

import math
import time

import pytest

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

ATR = {"expr": "$risk * equity / (2 * atr(14))", "unit": "shares", "params": {"risk": 0.01}}


def test_a_request_without_size_expr_stores_no_size_expr():
    assert "size_expr" not in parse_request(BASE).to_dict()
    assert parse_request(BASE).trading_params().size_unit is None


def test_a_size_expr_is_normalised_with_its_checked_values():
    request = parse_request({**BASE, "size_expr": ATR})
    assert request.size_expr == {
        "expr": "$risk * equity / (2 * atr(14))",
        "unit": "shares",
        "max_size": None,
        "params": {"risk": 0.01},
    }
    params = request.trading_params()
    assert (params.size_unit, params.max_size) == ("shares", None)
    fraction = parse_request({**BASE, "size_expr": {"expr": "0.5", "max_size": 0.8}})
    assert fraction.size_expr["unit"] == "fraction"
    assert fraction.trading_params().max_size == 0.8


REFUSED = [
    ({"size_expr": {**ATR, "expr": "equity >"}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": "close > 1"}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": "sma(equity, 5)"}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": "bars_held"}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": 'ref("DEMOIX", close)'}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": "__import__('os')"}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": "(" * 3000 + "equity" + ")" * 3000}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "expr": 5}}, "size_expr.expr"),
    ({"size_expr": {**ATR, "unit": "lots"}}, "size_expr.unit"),
    ({"size_expr": {**ATR, "max_size": 0}}, "size_expr.max_size"),
    ({"size_expr": {**ATR, "max_size": "x"}}, "size_expr.max_size"),
    ({"size_expr": {"expr": "0.5", "max_size": 2}}, "size_expr.max_size"),
    ({"size_expr": {**ATR, "params": {}}}, "size_expr.params.risk"),
    ({"size_expr": {**ATR, "params": {"risk": "a"}}}, "size_expr.params.risk"),
    ({"size_expr": {**ATR, "params": {"risk": 0.01, "z": 1}}}, "size_expr.params.z"),
    ({"size_expr": {**ATR, "extra": 1}}, "size_expr"),
    ({"size_expr": "0.5"}, "size_expr"),
    (
        {"rule_type": "EXPR", "params": {"entry": "equity > 1", "exit": "close < 1"}},
        "params.entry",
    ),
]


@pytest.mark.parametrize(("change", "field"), REFUSED)
def test_a_bad_size_expr_is_refused_naming_its_field_quickly(change, field):
    started = time.perf_counter()
    with pytest.raises(RequestError) as caught:
        parse_request({**BASE, **change})
    assert time.perf_counter() - started < 0.2
    assert caught.value.field == field, caught.value


def test_a_run_sized_by_atr_buys_the_risk_over_twice_the_atr_on_its_signal_bar():
    """Every trade's size is floor(0.01 × equity / (2 × atr(14))) of its signal bar (the
    bar before its entry), capped by the cash: recomputed here from the run's own equity
    and the project's ATR."""
    from kinds.runs.execute import load_market_data, market_window
    from rules import atr

    request = parse_request({**BASE, "size_expr": ATR})
    result = execute(request)
    frame = market_window(load_market_data(request))
    history, window = frame.signal_history()
    atrs = atr(history.high, history.low, history.close, 14)[window]
    equity, stamps = result.equity_curve["equity"], result.equity_curve["timestamps"]
    assert len(stamps) == len(atrs)
    closed = [t for t in result.trades if t["exit_reason"] == "signal"]
    assert len(closed) > 3
    for trade in closed:
        signal = stamps.index(trade["entry_timestamp"]) - 1
        wanted = math.floor(0.01 * equity[signal] / (2 * atrs[signal]))
        assert trade["size"] == wanted


def test_a_size_expr_reads_the_whole_history_even_beside_a_rule_with_a_short_reach():
    """The rule alone reads 20 bars before the window; with a size_expr (an ATR smoothed
    over the whole file) the signals start at the file's first bar."""
    from kinds.runs.execute import load_market_data
    from kinds.runs.signal_cost import signal_start

    rule = {
        "rule_type": "EXPR",
        "params": {"entry": "crossover(close, highest(close, 20))", "exit": "close < low"},
    }
    plain = parse_request({**BASE, **rule})
    market = load_market_data(plain)
    assert signal_start(plain, market) == market.start - 20 > 0
    assert signal_start(parse_request({**BASE, **rule, "size_expr": ATR}), market) == 0
