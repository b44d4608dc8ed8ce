"""``client.run(strategy=...)``: a Strategy class is sent as rule_type PYTHON with its
module's source and its name, and the body the platform gets passes its validation."""

from __future__ import annotations

import inspect

import pytest

from backtest_client import Client
from backtest_client.client import strategy_fields
from kinds.runs.contract import parse_request
from tests.client import hold_strategy
from tests.client.hold_strategy import Hold


def test_run_sends_the_class_module_source_and_name(monkeypatch):
    client = Client("http://127.0.0.1:9")
    sent = []
    monkeypatch.setattr(client, "submit", sent.append)
    client.run(
        strategy=Hold,
        ticker="ACME",
        params={"size": 3},
        start_date="2016-01-01",
        end_date="2016-12-31",
    )
    (body,) = sent
    assert body["rule_type"] == "PYTHON" and body["strategy_class"] == "Hold"
    assert body["strategy_code"] == inspect.getsource(hold_strategy)
    request = parse_request(body)
    assert request.params == {"size": 3} and request.strategy_class == "Hold"


def test_a_strategy_with_another_rule_type_is_refused():
    with pytest.raises(ValueError, match="PYTHON"):
        strategy_fields(Hold, "RSI")
