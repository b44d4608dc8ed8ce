"""``client.run(strategy=...)``: a Strategy class is sent as rule_type PYTHON with its
module's source and its name, and the body the platform gets passes its validation; a
notebook ``Backtest`` submitted through the real platform gives the notebook's result."""

from __future__ import annotations

import inspect
import json

import pytest
import requests

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


@pytest.mark.slow
@pytest.mark.mysql
@pytest.mark.redis
def test_a_notebook_backtest_submitted_to_the_platform_gives_the_notebooks_result(stack):
    """``Backtest(...).submit(client)`` through the real web and consumer: the stored
    result is the one built from the notebook's statistics, byte for byte."""
    from backtest_strategy import Backtest
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import load_market_data, market_window
    from kinds.runs.python_request import code_hash
    from kinds.runs.python_run import strategy_result
    from kinds.runs.serialize import to_json

    backtest = Backtest(
        "ACME",
        Hold,
        start_date="2018-01-01",
        end_date="2019-12-31",
        cash=25_000,
        commission=(2.0, 0.001),
        finalize_trades=True,
    )
    stats = backtest.run(size=7)
    run = backtest.submit(Client(stack.base_url), size=7, fields={"charts": False})
    result = run.wait(timeout=300)
    stored = requests.get(f"{stack.base_url}/runs/{run.run_id}/result.json", timeout=30)
    request = parse_request(result.request)
    frame = market_window(load_market_data(request))
    code = inspect.getsource(hold_strategy)
    expected = strategy_result(request, frame.bars, stats, frame.data_hash, code_hash(code))
    assert stats["# Trades"] == 1 and stats["Commissions [$]"] > 0
    assert json.loads(stored.content) == json.loads(to_json(expected))
    assert stored.json()["equity_curve"]["equity"] == stats["_equity_curve"]["Equity"].tolist()
