"""Tests for web/api/schema.py: the JSON Schemas served for the run request and presets are the
ones the validating models generate, and they agree with what the API accepts; the
validation routes answer, for any body, what the submission would (the dashboard's forms
show those answers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules import RULES
from tests.portfolios.support import demo_app, valid_portfolio
from tests.studies.support import valid_study
from tests.web.support import queue_key, valid_request, valid_sweep, valid_walkforward
from tests.web.test_web_runs import BAD_REQUESTS, MISSING, rows

pytestmark = pytest.mark.redis


def test_run_schema_lists_every_field_required_ones_and_no_extras(client):
    """Every request field is described; ticker, rule_type and the dates are required."""
    schema = client.get("/api/schema/run").get_json()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"ticker", "rule_type", "start_date", "end_date"}
    assert schema["properties"]["rule_type"]["enum"] == [*RULES, "PYTHON"]
    assert schema["properties"]["direction"]["enum"] == ["longonly", "longshort"]
    fee = schema["properties"]["fee_rate"]
    assert (fee["type"], fee["minimum"], fee["exclusiveMaximum"]) == ("number", 0, 0.1)


def test_run_schema_has_the_generated_params_model_of_every_rule(client):
    """Each rule's params model comes from its ParamSpecs: bounds, types, constraints."""
    schema = client.get("/api/schema/run").get_json()
    rsi = schema["$defs"]["RSIParams"]
    assert "required" not in rsi  # a parameter left out takes its default
    assert rsi["additionalProperties"] is False
    period = rsi["properties"]["period"]
    assert (period["type"], period["minimum"], period["maximum"]) == ("integer", 2, 200)
    assert period["default"] == 14
    assert rsi["x-constraints"] == ["oversold < overbought"]
    assert schema["$defs"]["COMPOSITEParams"]["properties"]["operator"]["enum"] == ["AND", "OR"]
    chosen = {part["if"]["properties"]["rule_type"]["const"] for part in schema["allOf"][1:]}
    assert chosen == {*RULES, "PYTHON"}


def test_run_schema_describes_the_optional_labels(client):
    """name, tags and notes: optional, bounded, defaulting to null / [] / null."""
    properties = client.get("/api/schema/run").get_json()["properties"]
    tags = properties["tags"]
    assert (tags["default"], tags["maxItems"]) == ([], 10)
    assert tags["items"]["pattern"] == "^[A-Za-z0-9_.-]{1,32}$"
    assert properties["name"]["default"] is None and properties["notes"]["default"] is None
    assert {"maxLength": 100, "type": "string"} in properties["name"]["anyOf"]
    assert {"maxLength": 2000, "type": "string"} in properties["notes"]["anyOf"]


def test_percent_cap_is_in_the_schema(client):
    """position_size is capped at 100 when size_type is percent."""
    schema = client.get("/api/schema/run").get_json()
    percent = schema["allOf"][0]
    assert percent["if"]["properties"]["size_type"] == {"const": "percent"}
    assert percent["then"]["properties"]["position_size"] == {"maximum": 100.0}


def test_preset_schema_bounds_the_name(client):
    """The preset schema carries the name's length limit and forbids other fields."""
    schema = client.get("/api/schema/preset").get_json()
    assert schema["properties"]["name"]["maxLength"] == 100
    assert schema["required"] == ["name", "payload"]
    assert schema["additionalProperties"] is False


def test_a_request_outside_the_schema_bounds_is_refused_with_our_message(client):
    """The API refuses what the schema excludes, in the contract's words."""
    response = client.post("/run_backtest", json=valid_request(params={"fast": 1, "slow": 8}))
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "params.fast must be between 2 and 400 (got 1)",
        "field": "params.fast",
    }


def test_the_sweep_schema_derives_from_the_run_schema_and_the_registry(client):
    """Shared fields as a run's; partial params and grid entries from the rule's own
    generated params model; a range text must look like start:stop:step."""
    import re

    sweep = client.get("/api/schema/sweep").get_json()
    run = client.get("/api/schema/run").get_json()
    for name in ("start_date", "fee_rate", "direction", "size_type"):
        assert sweep["properties"][name] == run["properties"][name]
    assert "run_id" not in sweep["properties"] and "charts" not in sweep["properties"]
    assert sweep["properties"]["chunk_size"]["minimum"] == 50
    rsi = next(
        rule["then"]["properties"]
        for rule in sweep["allOf"]
        if rule["if"]["properties"].get("rule_type", {}).get("const") == "RSI"
    )
    assert "required" not in rsi["params"]["anyOf"][0]
    period = rsi["grid"]["properties"]["period"]["anyOf"]
    assert period[0]["items"]["minimum"] == 2
    pattern = re.compile(period[1]["pattern"])
    assert pattern.match("10:30:2") and pattern.match(" 0.1 : 0.5 : 0.1 ")
    assert not pattern.match("10-30") and not pattern.match("a:b:c")


@pytest.mark.parametrize(
    "changes", [pytest.param(changes, id=name) for name, changes, _field in BAD_REQUESTS]
)
def test_validating_a_bad_run_answers_the_submissions_400_byte_for_byte(
    app, client, redis, changes
):
    """POST /api/schema/run/validate answers each bad request exactly as POST /run_backtest
    does (status, field and message: the words the form shows); it records nothing."""
    body = {key: value for key, value in valid_request(**changes).items() if value is not MISSING}
    checked = client.post("/api/schema/run/validate", json=body)
    assert rows(app) == [] and redis.llen(queue_key(app)) == 0
    submitted = client.post("/run_backtest", json=body)
    assert checked.status_code == submitted.status_code == 400
    assert checked.get_data() == submitted.get_data()


def test_validating_a_good_run_is_200_valid_and_records_nothing(app, client, redis):
    """A request the submission would accept is ``{"valid": true}``; no row, no job."""
    response = client.post("/api/schema/run/validate", json=valid_request(name="a label"))
    assert (response.status_code, response.get_json()) == (200, {"valid": True})
    assert rows(app) == [] and redis.llen(queue_key(app)) == 0


def test_validating_a_body_that_is_no_json_object_is_400_body(client):
    """The validation route reads its body as the submission does."""
    response = client.post("/api/schema/run/validate", data=b"[1]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == "body"


@pytest.mark.parametrize(
    "change",
    [
        {"grid": {"fast": "2:10:0"}},
        {"grid": {"fast": [2.5]}},
        {"grid": {"fast": "1:5:1"}},
        {"grid": {"speed": [2]}},
        {"grid": {}},
        {"tickers": []},
        {"tickers": ["TESTCO", "NOPE"]},
        {"chunk_size": 10},
        {"fee_rate": 0.5},
        {"start_date": "1990-01-01", "end_date": "1990-12-31"},
    ],
)
def test_validating_a_bad_sweep_answers_the_submissions_400_byte_for_byte(client, change):
    """POST /api/schema/sweep/validate answers as POST /api/sweeps does; records nothing."""
    checked = client.post("/api/schema/sweep/validate", json=valid_sweep(**change))
    assert client.get("/api/sweeps").get_json()["total"] == 0
    submitted = client.post("/api/sweeps", json=valid_sweep(**change))
    assert checked.status_code == submitted.status_code == 400
    assert checked.get_data() == submitted.get_data()


def test_validating_a_good_sweep_is_200_valid_and_records_nothing(client):
    """A sweep the submission would accept is ``{"valid": true}``; no sweep is recorded."""
    response = client.post("/api/schema/sweep/validate", json=valid_sweep())
    assert (response.status_code, response.get_json()) == (200, {"valid": True})
    assert client.get("/api/sweeps").get_json()["total"] == 0


STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
"""The dashboard's scripts (web/static, its vendored libraries left out)."""

BAD_SWEEPS = [
    {"grid": {"fast": "1:5:1"}},
    {"grid": {"fast": "2.5:5:0.5"}},
    {"grid": {"fast": [2.5]}},
    {"grid": {"speed": [2]}},
    {"tickers": []},
    {"chunk_size": 10},
    {"params": {"fast": 1}},
]
"""Sweep bodies the server refuses, each with its own message."""

_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


def _script_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Every string and template literal of the dashboard's scripts with two words or more
    of fixed text, as a pattern (``${...}`` matching anything) and where it is."""
    patterns = []
    for path in sorted(STATIC.rglob("*.js")):
        if "vendor" in path.parts:
            continue
        for literal in _LITERAL.findall(path.read_text(encoding="utf-8")):
            text = literal[1:-1]
            fixed = _PLACEHOLDER.split(text)
            if len(re.findall(r"[A-Za-z]{2,}", " ".join(fixed))) < 2:
                continue
            pattern = re.compile(".+".join(re.escape(part) for part in fixed), re.DOTALL)
            patterns.append((f"{path.name}: {text}", pattern))
    return patterns


def _server_messages(client) -> set[str]:
    """The messages the API's 400s give for many bad runs, sweeps and a blank preset name,
    each also without its leading field (as a form shows it under the field)."""
    bodies = [valid_request(**changes) for _name, changes, _field in BAD_REQUESTS]
    answers = [
        client.post("/run_backtest", json={k: v for k, v in body.items() if v is not MISSING})
        for body in bodies
    ]
    answers += [client.post("/api/sweeps", json=valid_sweep(**change)) for change in BAD_SWEEPS]
    answers.append(client.post("/api/strategies", json={"name": " ", "payload": {}}))
    messages = set()
    for answer in answers:
        assert answer.status_code == 400, answer.get_json()
        field, error = answer.get_json().get("field"), answer.get_json()["error"]
        messages.add(error)
        if field and error.startswith(f"{field} "):
            messages.add(error[len(field) + 1 :])
    return messages


def test_the_dashboard_scripts_hold_no_copy_of_the_servers_messages(client):
    """No string in the dashboard's scripts can spell a message the API answers with (a
    form shows the server's own answer, from POST /api/schema/<kind>/validate): a copy kept
    in the page would say something else the day the server's limits or words change."""
    messages = _server_messages(client)
    copies = [
        (where, message)
        for where, pattern in _script_patterns()
        for message in messages
        if pattern.fullmatch(message)
    ]
    assert copies == []


@pytest.mark.parametrize(
    "change",
    [
        {"train_bars": 1000},
        {"test_bars": 0},
        {"grid": {"fast": "1:5:1"}},
        {"ticker": "NOPE"},
        {"metric": "luck"},
        {"rule_type": "EXPR", "params": {"entry": "close > > 1", "exit": "close < 1"}, "grid": {}},
    ],
)
def test_validating_a_bad_walkforward_answers_the_submissions_400_byte_for_byte(client, change):
    """POST /api/schema/walkforward/validate answers as POST /api/walkforward does (an
    expression's error with its column included); it records nothing."""
    checked = client.post("/api/schema/walkforward/validate", json=valid_walkforward(**change))
    assert client.get("/api/walkforward").get_json()["walkforwards"] == []
    submitted = client.post("/api/walkforward", json=valid_walkforward(**change))
    assert checked.status_code == submitted.status_code == 400
    assert checked.get_data() == submitted.get_data()


def test_validating_a_good_walkforward_is_200_valid_and_records_and_queues_nothing(client):
    """A walk-forward the submission would accept is ``{"valid": true}``; nothing is
    recorded or queued."""
    response = client.post("/api/schema/walkforward/validate", json=valid_walkforward())
    assert (response.status_code, response.get_json()) == (200, {"valid": True})
    assert client.get("/api/walkforward").get_json()["walkforwards"] == []
    assert client.get("/api/sweeps").get_json()["total"] == 0


@pytest.fixture
def demo_client(sqlite_url: str, redis_url: str, demo_data_dir):
    """A client of the app on the shipped demo data (the portfolio and study checks read
    several of its tickers)."""
    for app in demo_app(sqlite_url, redis_url, demo_data_dir):
        yield app.test_client()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tickers": ["ACME", "NOPE"]}, "tickers[1]"),
        ({"tickers": ["ACME"]}, "tickers"),
        (
            {"allocation": {"method": "rank", "score": "roc(close, ", "top_n": 2}},
            "allocation.score",
        ),
        (
            {"allocation": {"method": "fixed", "weights": {"ACME": 0.7, "GLOBEX": 0.6}}},
            "allocation.weights",
        ),
        ({"end_date": "2017-01-01"}, "end_date"),
    ],
)
def test_validating_a_bad_portfolio_answers_the_submissions_400_byte_for_byte(
    demo_client, change, field
):
    """POST /api/schema/portfolio/validate answers as POST /api/portfolios does (unknown
    ticker, too few tickers, a bad expression, weights over 1, dates out of order); it
    records nothing."""
    client = demo_client
    checked = client.post("/api/schema/portfolio/validate", json=valid_portfolio(**change))
    assert client.get("/api/portfolios").get_json()["portfolios"] == []
    submitted = client.post("/api/portfolios", json=valid_portfolio(**change))
    assert checked.status_code == submitted.status_code == 400
    assert checked.get_json()["field"] == field
    assert checked.get_data() == submitted.get_data()


def test_validating_a_good_portfolio_is_200_valid_and_records_and_queues_nothing(demo_client):
    """A portfolio the submission would accept is ``{"valid": true}``; nothing recorded."""
    client = demo_client
    response = client.post("/api/schema/portfolio/validate", json=valid_portfolio())
    assert (response.status_code, response.get_json()) == (200, {"valid": True})
    assert client.get("/api/portfolios").get_json()["portfolios"] == []


def test_portfolio_schema_lists_the_request_fields_and_their_nested_models(client):
    """GET /api/schema/portfolio is the request model's JSON Schema: the universe, the
    window, the costs, the allocation and the rebalance schedule."""
    schema = client.get("/api/schema/portfolio").get_json()
    assert {"tickers", "start_date", "end_date", "allocation", "rebalance"} <= set(
        schema["properties"]
    )
    assert {"Allocation", "Rebalance"} <= set(schema["$defs"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"space": {"nope": {"low": 1, "high": 2}}}, "space.nope"),
        ({"space": {"period": {"low": 30, "high": 2}}}, "space.period"),
        ({"n_trials": 0}, "n_trials"),
        ({"sampler": "grid"}, "sampler"),
        ({"ticker": "NOPE"}, "ticker"),
    ],
)
def test_validating_a_bad_study_answers_the_submissions_400_byte_for_byte(
    demo_client, change, field
):
    """POST /api/schema/study/validate answers as POST /api/studies does; it records
    nothing."""
    client = demo_client
    checked = client.post("/api/schema/study/validate", json=valid_study(**change))
    assert client.get("/api/studies").get_json()["studies"] == []
    submitted = client.post("/api/studies", json=valid_study(**change))
    assert checked.status_code == submitted.status_code == 400
    assert checked.get_json()["field"].startswith(field)
    assert checked.get_data() == submitted.get_data()


def test_validating_a_good_study_is_200_valid_and_records_and_queues_nothing(demo_client):
    """A study the submission would accept is ``{"valid": true}``; nothing recorded."""
    client = demo_client
    response = client.post("/api/schema/study/validate", json=valid_study())
    assert (response.status_code, response.get_json()) == (200, {"valid": True})
    assert client.get("/api/studies").get_json()["studies"] == []
