"""rule_type PYTHON through the API: a strategy is accepted and stored with its code (the
web only parses it); a syntax error is a 400 naming strategy_code with its line and
column, a bad class or a field a strategy decides itself a 400 naming it; never a 5xx."""

from __future__ import annotations

from kinds.runs.python_request import EXAMPLE_CLASS, EXAMPLE_CODE
from tests.web.support import valid_request
from tests.web.support_dashboard import add_succeeded


def _python_run(**fields) -> dict:
    strategy = {"strategy_code": EXAMPLE_CODE, "strategy_class": EXAMPLE_CLASS}
    return valid_request(rule_type="PYTHON", params={"n1": 3, "n2": 8}, **{**strategy, **fields})


def test_a_python_run_is_accepted_and_stored_with_its_code(client):
    response = client.post("/run_backtest", json=_python_run())
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["run_id"]
    stored = client.get(f"/api/runs/{run_id}").get_json()
    request = stored.get("request", stored)
    assert request["rule_type"] == "PYTHON" and request["strategy_code"] == EXAMPLE_CODE
    assert request["strategy_class"] == EXAMPLE_CLASS and request["params"] == {"n1": 3, "n2": 8}


def test_a_syntax_error_is_a_400_naming_strategy_code_at_its_line_and_column(client):
    broken = EXAMPLE_CODE.replace("    def init(self):", "    def init(self)")
    response = client.post("/run_backtest", json=_python_run(strategy_code=broken))
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "strategy_code"
    assert "line 14, column 19" in body["error"]


def test_a_bad_class_or_an_inapplicable_field_is_a_400_naming_it(client):
    for fields, field in (
        ({"strategy_class": "not a class"}, "strategy_class"),
        ({"take_profit_pct": 5}, "take_profit_pct"),
        ({"strategy_code": ["not", "text"]}, "strategy_code"),
    ):
        response = client.post("/run_backtest", json=_python_run(**fields))
        assert response.status_code == 400, fields
        assert response.get_json()["field"] == field


def test_a_python_runs_indicators_are_a_409_saying_it_has_no_rule_indicators(app, client):
    """The candles tab's rule lines come from the rules; a strategy's indicators live in its
    own code, which the web never runs: a 409 that says so, not the rules' refusal."""
    fields = {"strategy_code": EXAMPLE_CODE, "strategy_class": EXAMPLE_CLASS}
    request, result = add_succeeded(app, rule_type="PYTHON", params={"n1": 3, "n2": 8}, **fields)
    assert result["strategy_hash"]
    response = client.get(f"/api/runs/{request.run_id}/indicators")
    assert response.status_code == 409
    assert response.get_json()["error"] == "a Python strategy's run has no rule indicators to draw"
