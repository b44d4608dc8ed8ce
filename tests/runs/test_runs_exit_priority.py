"""A run's ``exit_priority`` (docs/api.md, docs/execution.md "Execution convention"): the
request takes a boolean, stores it only when true (a request without it stores the bytes it
stored before), hands it to the engine, and a time exit with a state entry then closes
every trade when it comes due."""

from __future__ import annotations

import pytest

from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from work.errors import RequestError

REQUEST = {
    "ticker": "ACME",
    "rule_type": "EXPR",
    "params": {"entry": "rsi(close, 14) < 45", "exit": "bars_held >= $hold", "hold": 5},
    "start_date": "2016-01-01",
    "end_date": "2019-06-30",
    "position_size": 100,
    "size_type": "percent",
    "charts": False,
}


def test_the_request_stores_exit_priority_only_when_true():
    request = parse_request({**REQUEST, "exit_priority": True})
    assert request.to_dict()["exit_priority"] is True
    assert request.trading_params().exit_priority is True
    plain = parse_request(REQUEST)
    assert "exit_priority" not in plain.to_dict()
    assert plain.trading_params().exit_priority is False
    unset = parse_request({**REQUEST, "exit_priority": False}).to_dict()
    assert {**unset, "run_id": None} == {**plain.to_dict(), "run_id": None}


@pytest.mark.parametrize("value", ["true", 1, None])
def test_exit_priority_that_is_not_a_boolean_is_refused_naming_it(value):
    with pytest.raises(RequestError) as caught:
        parse_request({**REQUEST, "exit_priority": value})
    assert caught.value.field == "exit_priority"
    assert "true or false" in caught.value.message


def test_a_time_exit_closes_every_trade_when_due_with_exit_priority():
    """With the field the trades are more and shorter (none outlasts the time exit while
    the entry still holds) than by default."""
    first = execute(parse_request({**REQUEST, "exit_priority": True}))
    default = execute(parse_request(REQUEST))
    assert len(first.trades) > len(default.trades)
    longest = max(t["holding_period"] for t in first.trades)
    assert longest < max(t["holding_period"] for t in default.trades)
    assert first.metrics["total_return_pct"] != default.metrics["total_return_pct"]
