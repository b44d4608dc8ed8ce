"""A run of an EXPR rule: each built-in rule written as an expression gives the built-in
run's result byte for byte, apart from the request's description of the rule."""

from __future__ import annotations

import json

import pytest

from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from kinds.runs.serialize import to_json
from rules import validate_rule
from tests.rules.expr_builtins import BUILTINS, ISSUE_EXAMPLE, expr_params

RULE_FIELDS = ("rule_type", "params", "rule_id")
"""What describes the rule in a result's ``request``: the one part allowed to differ."""

BASE = {
    "run_id": "00000000-0000-4000-8000-000000000025",
    "ticker": "ACME",
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "direction": "longshort",
    "slippage_bps": 2,
    "stop_loss_pct": 8,
    "charts": False,
}


def _result_without_rule(request: dict) -> str:
    result = json.loads(to_json(execute(parse_request(request))))
    for name in RULE_FIELDS:
        result["request"].pop(name)
    return json.dumps(result, sort_keys=True)


@pytest.mark.parametrize(("rule_type", "entry", "exit_"), BUILTINS, ids=[b[0] for b in BUILTINS])
def test_an_expression_run_equals_the_builtin_run_byte_for_byte(rule_type, entry, exit_):
    """The same request with the rule as an expression: the same metrics, trades, curves,
    signals and candles, to the byte."""
    rule_type, params = validate_rule(rule_type, None)
    builtin = _result_without_rule({**BASE, "rule_type": rule_type, "params": params})
    expr = {**BASE, "rule_type": "EXPR", "params": expr_params(rule_type, entry, exit_, params)}
    assert _result_without_rule(expr) == builtin
    assert '"trades": []' not in builtin or rule_type == "COMPOSITE"


def test_the_issue_example_runs_and_keeps_its_texts_in_the_request():
    """The example of issue 25 runs; the stored request holds the texts and the bounds."""
    params = dict(ISSUE_EXAMPLE)
    request = parse_request({**BASE, "rule_type": "EXPR", "params": params})
    result = json.loads(to_json(execute(request)))
    assert result["status"] == "SUCCEEDED"
    assert result["request"]["params"]["entry"] == params["entry"]
    assert result["request"]["params"]["bounds"]["n"] == [2, 50]
    assert result["request"]["rule_id"].startswith("expr-")
    assert len(result["trades"]) > 0
