"""rule_type PYTHON in a run request (kinds.runs.python_request) and its result
(kinds.runs.python_run): 400s naming the field, the code in the cache key, and the
sandboxed run's result equal to notebook mode on the same bars."""

from __future__ import annotations

import json

import pytest

from backtest_strategy import Backtest
from kinds.runs.cache import cache_key
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import load_market_data, market_window
from kinds.runs.kind import execute_request
from kinds.runs.python_request import STRATEGY_CODE_MAX, code_hash
from kinds.runs.python_run import request_seed, strategy_frame
from kinds.runs.serialize import to_json
from tests.runs.python_strategies import ACME_SMA_CROSS, RANDOM, SMA_CROSS, module_of
from work.kind import WorkFailed

BASE = {
    **ACME_SMA_CROSS,
    "params": {"n1": 5, "n2": 15},
    "charts": False,
}


def refused(**fields) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_request({**BASE, **fields})
    return caught.value


def test_a_python_request_is_normalised_with_its_code_and_class():
    request = parse_request(
        {**BASE, "rule_type": "python", "params": {"n2": 15, "n1": 5}, "price_adjustment": "raw"}
    )
    stored = request.to_dict()
    assert stored["rule_type"] == "PYTHON"
    assert stored["strategy_code"] == SMA_CROSS and stored["strategy_class"] == "SmaCross"
    assert list(stored["params"]) == ["n1", "n2"]
    assert stored["rule_id"] == f"python-smacross-{code_hash(SMA_CROSS)[:12]}"


def test_another_rule_stores_no_strategy_fields_and_may_not_send_them():
    request = parse_request(
        {**BASE, "rule_type": "RSI", "params": None, "strategy_code": None, "strategy_class": None}
    )
    assert "strategy_code" not in request.to_dict() and "strategy_class" not in request.to_dict()
    assert refused(rule_type="RSI", params=None).field == "strategy_code"


def test_a_syntax_error_is_a_400_naming_strategy_code_with_its_line_and_column():
    error = refused(strategy_code="class S:\n    def next(self)\n        pass\n")
    assert error.field == "strategy_code"
    assert "line 2, column 19" in error.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"strategy_code": None}, "strategy_code"),
        ({"strategy_code": 3}, "strategy_code"),
        ({"strategy_code": "x = 1\n" * (STRATEGY_CODE_MAX // 6 + 1)}, "strategy_code"),
        ({"strategy_class": None}, "strategy_class"),
        ({"strategy_class": "Sma Cross"}, "strategy_class"),
        ({"strategy_class": "9lives"}, "strategy_class"),
        ({"params": [1]}, "params"),
        ({"params": {"n 1": 1}}, "params"),
        ({"params": {"_private": 1}}, "params"),
        ({"params": {"n1": [1, 2]}}, "params.n1"),
        ({"params": {"n1": float("nan")}}, "params.n1"),
        ({"stop_loss_pct": 5}, "stop_loss_pct"),
        ({"position_size": 50}, "position_size"),
        ({"direction": "longshort"}, "direction"),
        ({"entry_order": {"type": "limit", "limit": "close * 0.99"}}, "entry_order"),
        ({"price_adjustment": "adjusted"}, "price_adjustment"),
        ({"borrow_rate": 2}, "borrow_rate"),
        ({"size_expr": {"expr": "1", "unit": "shares"}}, "size_expr"),
        ({"trailing_stop_pct": 5}, "trailing_stop_pct"),
    ],
)
def test_a_bad_or_inapplicable_field_is_a_400_naming_it(fields, field):
    assert refused(**fields).field == field


def test_the_cache_key_changes_with_one_character_of_the_code():
    one = parse_request(BASE)
    same = parse_request(BASE)
    other = parse_request({**BASE, "strategy_code": SMA_CROSS.replace("n1 = 10", "n1 = 11")})
    assert cache_key(one, "h") == cache_key(same, "h") != cache_key(other, "h")
    named = {**BASE, "rule_id": "my-strategy"}  # the same rule_id: the code itself differs
    changed = {**named, "strategy_code": SMA_CROSS.replace("n1 = 10", "n1 = 11")}
    assert cache_key(parse_request(named), "h") != cache_key(parse_request(changed), "h")
    assert request_seed(one) == request_seed(same)


def test_the_sandboxed_run_gives_notebook_modes_equity_and_trades_on_the_same_bars():
    request = parse_request(BASE)
    result = execute_request(request)
    frame = market_window(load_market_data(request))
    cls = module_of(SMA_CROSS)["SmaCross"]
    stats = Backtest(strategy_frame(frame.bars), cls, cash=100_000, commission=0.001).run(
        n1=5, n2=15
    )
    assert result.status == "SUCCEEDED" and result.strategy_hash == code_hash(SMA_CROSS)
    assert result.equity_curve["equity"] == stats["_equity_curve"]["Equity"].tolist()
    assert result.metrics["final_equity"] == stats["Equity Final [$]"]
    assert result.metrics["num_trades"] == len(stats["_trades"]) > 0
    assert [t["pnl_abs"] for t in result.trades] == stats["_trades"]["PnL"].tolist()
    assert [t["entry_price"] for t in result.trades] == stats["_trades"]["EntryPrice"].tolist()
    document = json.loads(to_json(result))
    assert document["strategy_hash"] == code_hash(SMA_CROSS)
    assert to_json(execute_request(request)) == to_json(result), "byte-identical on a second run"


def test_a_strategy_that_raises_fails_with_its_own_traceback():
    code = SMA_CROSS.replace("    def next(self):\n", "    def next(self):\n        1 / 0\n")
    with pytest.raises(WorkFailed) as caught:
        execute_request(parse_request({**BASE, "strategy_code": code}))
    message = caught.value.message
    assert "ZeroDivisionError" in message and "strategy.py" in message
    assert "kinds/" not in message and "sandbox/" not in message


def test_a_strategy_drawing_random_numbers_gives_the_same_bytes_on_every_run():
    body = {**BASE, "strategy_code": RANDOM, "strategy_class": "Coin", "params": None}
    first = execute_request(parse_request(body))
    second = execute_request(parse_request(body))  # another run_id: the same seed
    assert first.metrics["num_trades"] > 5
    assert first.equity_curve["equity"] == second.equity_curve["equity"]
    assert first.trades == second.trades


@pytest.fixture(scope="module")
def run_schema():
    from jsonschema import Draft202012Validator

    from kinds.runs.request_model import json_schema

    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return schema, Draft202012Validator(schema)


def test_the_run_schema_lists_python_and_what_its_request_needs(run_schema):
    schema, validator = run_schema
    assert "PYTHON" in schema["properties"]["rule_type"]["enum"]
    body = {**BASE, "refs": ["DEMOIX"], "params": {"n1": 5, "label": "x", "on": True}}
    assert not list(validator.iter_errors(body))
    parse_request(body)  # the API takes what the schema admits
    for fields in (
        {"strategy_code": None},
        {"strategy_class": "9lives"},
        {"params": {"n1": [1, 2]}},
        {"params": {"_private": 1}},
        {"refs": "DEMOIX"},
    ):
        bad = {name: value for name, value in {**BASE, **fields}.items() if value is not None}
        assert list(validator.iter_errors(bad)), fields
        with pytest.raises(RequestError):
            parse_request(bad)
