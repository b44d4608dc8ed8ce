"""The run contract: request validation, defaults, additive-only evolution, result fields."""

from __future__ import annotations

import pytest

from kinds.runs.contract import (
    REQUEST_FIELDS,
    RESULT_FIELDS,
    RequestError,
    RunResult,
    parse_request,
)

BASE = {"ticker": "acme", "rule_type": "rsi", "start_date": "2020-01-01", "end_date": "2020-12-31"}


def test_defaults_fill_every_optional_field_and_params_and_rule_id_are_derived():
    """Omitted fields take the documented defaults; params default from the registry."""
    request = parse_request(BASE)
    assert (request.ticker, request.rule_type) == ("ACME", "RSI")
    assert request.params == {"period": 14, "oversold": 30.0, "overbought": 70.0}
    assert request.rule_id == "rsi-14-30-70"
    assert (request.initial_capital, request.fee_rate, request.slippage_bps) == (1e5, 0.001, 0.0)
    assert (request.position_size, request.size_type, request.direction) == (
        1e4,
        "value",
        "longonly",
    )
    assert (request.timeframe, request.charts) == ("1d", True)
    assert len(request.run_id) == 36 and request.run_id[14] == "4"


def test_unknown_fields_are_refused_from_users_but_ignored_by_the_consumer():
    """Additive contract: a newer web's extra field never breaks an older consumer."""
    with pytest.raises(RequestError) as err:
        parse_request({**BASE, "new_field": 1})
    assert err.value.field == "new_field"
    assert parse_request({**BASE, "new_field": 1}, strict=False).ticker == "ACME"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ticker": None}, "ticker"),
        ({"rule_type": "NOPE"}, "rule_type"),
        ({"start_date": "2020-13-01"}, "start_date"),
        ({"end_date": "2019-01-01"}, "end_date"),
        ({"fee_rate": "0.1"}, "fee_rate"),
        ({"fee_rate": 0.5}, "fee_rate"),
        ({"initial_capital": True}, "initial_capital"),
        ({"initial_capital": 10**400}, "initial_capital"),
        ({"position_size": 150, "size_type": "percent"}, "position_size"),
        ({"direction": "short"}, "direction"),
        ({"timeframe": "15m"}, "timeframe"),
        ({"charts": "yes"}, "charts"),
        ({"run_id": "not-a-uuid"}, "run_id"),
        ({"run_id": False}, "run_id"),
        ({"rule_id": "Bad Slug!"}, "rule_id"),
        ({"params": {"period": 14, "oversold": 80}}, "params.oversold"),
        ({"params": {"period": 14, "oversold_level": 30}}, "params.oversold_level"),
    ],
)
def test_each_invalid_field_is_named(change, field):
    """Every validation error names the field a user must fix."""
    with pytest.raises(RequestError) as err:
        parse_request({**BASE, **change})
    assert err.value.field == field


def test_a_result_has_every_contract_field_in_order():
    """The result schema: run_id … engine_version, plus the request that produced it."""
    assert RESULT_FIELDS[:15] == (
        "run_id",
        "status",
        "error_message",
        "metrics",
        "equity_curve",
        "drawdown_curve",
        "portfolio_curve",
        "trades",
        "charts",
        "chart_base64",
        "price_candles",
        "signals",
        "benchmark",
        "data_hash",
        "engine_version",
    )
    optional = ("orders", "events_applied", "strategy_hash", "capacity")
    assert RESULT_FIELDS[-4:] == optional
    assert list(RunResult("x", "FAILED").to_dict()) == list(RESULT_FIELDS[:-4])
    given = RunResult(
        "x", "FAILED", orders=[], events_applied=[], strategy_hash="0" * 64, capacity={}
    )
    assert list(given.to_dict()) == list(RESULT_FIELDS)
    assert REQUEST_FIELDS[:5] == ("run_id", "ticker", "rule_type", "start_date", "end_date")


def test_stops_are_off_by_default_and_left_out_of_the_stored_request():
    """Without stops the stored request (and so the result's) has the bytes of before
    stops existed; set stops reach the engine as floats and are stored."""
    plain = parse_request(BASE)
    assert not plain.trading_params().has_stops
    assert not {"stop_loss_pct", "take_profit_pct", "trailing_stop_pct"} & set(plain.to_dict())
    stopped = parse_request(
        {**BASE, "stop_loss_pct": 5, "take_profit_pct": 12.5, "trailing_stop_pct": None}
    )
    params = stopped.trading_params()
    assert (params.stop_loss_pct, params.take_profit_pct, params.trailing_stop_pct) == (
        5.0,
        12.5,
        None,
    )
    stored = stopped.to_dict()
    assert (stored["stop_loss_pct"], stored["take_profit_pct"]) == (5.0, 12.5)
    assert "trailing_stop_pct" not in stored
    assert type(stopped).from_stored(stored) == stopped


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stop_loss_pct": 0}, "must be greater than 0 and less than 100 (percent)"),
        ({"stop_loss_pct": 100.0}, "must be greater than 0 and less than 100 (percent)"),
        ({"take_profit_pct": 0}, "must be greater than 0 (percent)"),
        ({"trailing_stop_pct": -0.5}, "must be greater than 0 and less than 100 (percent)"),
        ({"trailing_stop_pct": "3"}, "must be a number"),
    ],
)
def test_out_of_range_stops_are_refused_naming_the_field(change, message):
    with pytest.raises(RequestError) as err:
        parse_request({**BASE, **change})
    (field,) = change
    assert (err.value.field, err.value.message) == (field, message)
