"""A run request that scales in and out (docs/execution.md, "Scaling in and out"): its
fields reach the engine and the stored request with every order and position feature, bad
values are 400s naming the field, and a request without them stores the bytes it always
did."""

from __future__ import annotations

import pytest

from engine.param_specs import (
    EXIT_FRACTION,
    MAX_ENTRIES,
    TAKE_PROFIT_FRACTION,
    TAKE_PROFIT_FRACTION_ALONE,
)
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute

BODY = {
    "ticker": "ACME",
    "rule_type": "EXPR",
    "params": {"entry": "close > sma(close, 20)", "exit": "close < sma(close, 10)"},
    "start_date": "2016-01-01",
    "end_date": "2019-06-30",
    "charts": False,
}


LIMIT = {"type": "limit", "limit": "close * 0.99"}


def _error(**fields) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_request({**BODY, **fields})
    return caught.value


def test_the_fields_reach_the_engine_and_the_stored_request_and_pile_up_units():
    request = parse_request({**BODY, "max_entries": 3, "exit_fraction": 0.5})
    params = request.trading_params()
    assert (params.max_entries, params.exit_fraction) == (3, 0.5)
    assert request.to_dict()["max_entries"] == 3
    assert request.to_dict()["exit_fraction"] == 0.5
    result = execute(request)
    plain = execute(parse_request(BODY))
    assert result.metrics["num_trades"] > plain.metrics["num_trades"]


def test_a_request_without_them_stores_what_it_always_did():
    defaults = {"max_entries": 1, "exit_fraction": 1, "take_profit_fraction": 1}
    stored = parse_request({**BODY, **defaults}).to_dict()
    assert not set(defaults) & set(stored)
    assert stored == parse_request(BODY).to_dict() | {"run_id": stored["run_id"]}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"max_entries": 0}, "max_entries", MAX_ENTRIES.message),
        ({"max_entries": 101}, "max_entries", MAX_ENTRIES.message),
        ({"max_entries": 2.5}, "max_entries", MAX_ENTRIES.message),
        ({"max_entries": "3"}, "max_entries", MAX_ENTRIES.message),
        ({"exit_fraction": 0}, "exit_fraction", EXIT_FRACTION.message),
        ({"exit_fraction": 1.01}, "exit_fraction", EXIT_FRACTION.message),
        ({"take_profit_fraction": 0}, "take_profit_fraction", TAKE_PROFIT_FRACTION.message),
        ({"take_profit_fraction": 0.5}, "take_profit_fraction", TAKE_PROFIT_FRACTION_ALONE),
    ],
)
def test_bad_values_are_400s_naming_the_field(fields, field, message):
    error = _error(**fields)
    assert (error.field, error.message) == (field, message)


def test_a_market_entry_order_and_a_stop_free_longonly_request_are_taken():
    request = parse_request({**BODY, "max_entries": 2, "entry_order": {"type": "market"}})
    assert request.trading_params().scales


def test_a_take_profit_fraction_reaches_the_engine_and_the_stored_request():
    """Alone (max_entries 1) it takes the units walk: take-profits sell half a unit."""
    body = {**BODY, "take_profit_pct": 6, "stop_loss_pct": 4, "take_profit_fraction": 0.5}
    request = parse_request(body)
    assert request.to_dict()["take_profit_fraction"] == 0.5
    params = request.trading_params()
    assert params.take_profit_fraction == 0.5 and params.scales
    trades = execute(request).trades
    parts = {trade["entry_timestamp"] for trade in trades if trade["exit_reason"] == "take_profit"}
    rests = {trade["entry_timestamp"] for trade in trades if trade["exit_reason"] != "take_profit"}
    assert parts & rests


def test_a_size_expression_sizes_every_unit():
    """100 shares a unit (a 1,000,000 account never runs short of cash): every unit the
    run opens, up to three at once, is 100 shares."""
    size = {"expr": "100", "unit": "shares"}
    body = {**BODY, "max_entries": 3, "size_expr": size, "initial_capital": 1_000_000}
    result = execute(parse_request(body))
    sizes = [trade["size"] for trade in result.trades]
    assert len(sizes) > 10 and set(sizes) == {100}
    plain = execute(parse_request({**BODY, "size_expr": size, "initial_capital": 1_000_000}))
    assert result.metrics["num_trades"] > plain.metrics["num_trades"]


def test_a_position_aware_exit_reads_the_whole_scaled_long():
    """``bars_held >= 8`` on a long pyramided on crossings: it counts from the long's first
    unit, so each exit sells every unit 9 bars after the first was bought (later when an
    entry holds on the same close: that bar is ignored), the later units sooner after their
    own entry."""
    params = {"entry": "crossover(close, sma(close, 5))", "exit": "bars_held >= 8"}
    body = {**BODY, "params": params, "max_entries": 3}
    result = execute(parse_request(body))
    bar = {stamp: i for i, stamp in enumerate(result.equity_curve["timestamps"])}
    by_exit: dict[str, list[int]] = {}
    for trade in (t for t in result.trades if not t["is_open"]):
        held = bar[trade["exit_timestamp"]] - bar[trade["entry_timestamp"]]
        by_exit.setdefault(trade["exit_timestamp"], []).append(held)
    assert len(by_exit) > 5
    assert all(max(held) >= 9 for held in by_exit.values()), by_exit
    nine = [held for held in by_exit.values() if max(held) == 9]  # later: an entry on e + 8
    assert len(nine) > len(by_exit) / 2
    assert any(min(held) < 9 for held in nine)


def test_limit_entry_orders_open_the_units_and_are_listed():
    order = {"type": "limit", "limit": "close * 0.99", "valid_bars": 2}
    body = {**BODY, "max_entries": 3, "entry_order": order}
    result = execute(parse_request(body))
    statuses = {o["status"] for o in result.orders}
    assert {"filled", "expired"} <= statuses, statuses
    filled = [o for o in result.orders if o["status"] == "filled"]
    assert len(filled) == len({t["entry_timestamp"] for t in result.trades}) > 3


def test_longshort_units_go_short_on_exits_and_take_the_market_entry():
    body = {**BODY, "direction": "longshort", "max_entries": 2, "stop_loss_pct": 5}
    trades = execute(parse_request(body)).trades
    sides = {trade["side"] for trade in trades}
    assert sides == {"BUY", "SELL"}, sides
    market = parse_request({**body, "entry_order": {"type": "market"}})
    assert market.trading_params().scales


def test_stops_with_units_reach_the_engine_and_stop_units():
    stops = {"stop_loss_pct": 3, "take_profit_pct": 8, "trailing_stop_pct": 5}
    request = parse_request({**BODY, "max_entries": 3, "exit_fraction": 0.5, **stops})
    params = request.trading_params()
    assert (params.stop_loss_pct, params.take_profit_pct, params.trailing_stop_pct) == (3, 8, 5)
    trades = execute(request).trades
    reasons = {trade["exit_reason"] for trade in trades}
    assert reasons & {"stop_loss", "take_profit", "trailing_stop"}, reasons


def test_a_ticker_whose_window_holds_events_runs_its_units_through_them(tmp_path):
    """EVTS (a split and dividends in the window), half of the cash a unit: the events meet
    the units (listed in the result) and every trade reports its dividends."""
    from tests.runs.test_runs_corporate_actions import BODY as EVENTS_BODY
    from tests.runs.test_runs_corporate_actions import _with_events
    from tests.web.support import write_data_dir

    folder = _with_events(write_data_dir(tmp_path / "data"))
    body = {**EVENTS_BODY, "max_entries": 2, "position_size": 50, "exit_fraction": 0.5}
    result = execute(parse_request(body), folder)
    kinds = {event["type"] for event in result.events_applied}
    assert {"split", "dividend"} <= kinds, result.events_applied
    assert result.trades and all("dividends" in trade for trade in result.trades)
    assert any(trade["dividends"] > 0 for trade in result.trades)
