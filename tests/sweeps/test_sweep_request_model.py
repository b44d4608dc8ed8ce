"""kinds/sweeps/request_model.py: the pydantic model of a sweep request's own fields, its errors in
the contract's words and order, and the sweep request's JSON Schema agreeing with what
parse_sweep_request accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kinds.runs.contract import REQUEST_FIELDS, RequestError
from kinds.sweeps.contract import (
    TRADING_FIELDS,
    parse_sweep_request,
)
from kinds.sweeps.fields import (
    CHUNK_SIZE_MAX,
    MAX_TICKERS,
    NOT_SWEEP_FIELDS,
    SUBMISSION_FIELDS,
    SWEEP_FIELDS,
)
from kinds.sweeps.request_model import sweep_json_schema
from tests.fresh import loaded_by
from tests.sweeps.test_sweep_contract import BASE  # the same valid request

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GRID_SHAPE = 'grid must be an object of {param: [values] | "start:stop:step"}'


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = sweep_json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _error(body: dict, **changes) -> tuple[str, str]:
    payload = {**body, **changes}
    payload = {name: value for name, value in payload.items() if value is not ...}
    with pytest.raises(RequestError) as caught:
        parse_sweep_request(payload)
    return caught.value.field, caught.value.message


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ticker": 5}, "ticker", "must be a string"),
        ({"ticker": ...}, "ticker", "is required (or tickers, a list)"),
        ({"ticker": ""}, "ticker", "is required (or tickers, a list)"),
        ({"tickers": ["GLOBEX"]}, "tickers", "give ticker or tickers, not both"),
        ({"ticker": None, "tickers": None}, "tickers", "must be a list of 1 to 20 tickers"),
        ({"ticker": None, "tickers": "ACME"}, "tickers", "must be a list of 1 to 20 tickers"),
        ({"ticker": None, "tickers": []}, "tickers", "must be a list of 1 to 20 tickers"),
        (
            {"ticker": None, "tickers": [f"T{i}" for i in range(MAX_TICKERS + 1)]},
            "tickers",
            "must be a list of 1 to 20 tickers",
        ),
        ({"ticker": None, "tickers": ["ACME", " "]}, "tickers[1]", "must be a non-empty string"),
        ({"ticker": None, "tickers": ["ACME", 5]}, "tickers[1]", "must be a non-empty string"),
        ({"ticker": None, "tickers": ["ACME", " acme"]}, "tickers[1]", "ACME appears twice"),
        ({"ticker": None, "tickers": ["A", "a", 5]}, "tickers[1]", "A appears twice"),
        ({"ticker": None, "tickers": ["A", 5, "a"]}, "tickers[1]", "must be a non-empty string"),
        ({"params": []}, "params", "must be an object of base parameter values"),
        ({"grid": ...}, "grid", GRID_SHAPE),
        ({"grid": {}}, "grid", GRID_SHAPE),
        ({"grid": "fast=5"}, "grid", GRID_SHAPE),
        ({"chunk_size": True}, "chunk_size", "must be an integer from 50 to 2000"),
        ({"chunk_size": 100.0}, "chunk_size", "must be an integer from 50 to 2000"),
        ({"chunk_size": "100"}, "chunk_size", "must be an integer from 50 to 2000"),
        ({"chunk_size": CHUNK_SIZE_MAX + 1}, "chunk_size", "must be an integer from 50 to 2000"),
    ],
)  # fmt: skip
def test_each_mistake_in_a_sweeps_own_fields_is_worded_by_the_contract(changes, field, message):
    """Field and message as the contract has always given them (not pydantic's words);
    among the tickers, the first mistake by position."""
    assert _error(BASE, **changes) == (field, message)


def test_mistakes_are_reported_in_the_contracts_order():
    """Unknown field, tickers, rule, params, grid, chunk size, then the run's own fields:
    correcting each in turn reveals the next."""
    body = {
        **BASE,
        "colour": 1,
        "ticker": None,
        "tickers": ["ACME", "acme"],
        "rule_type": "SMA_CROS",
        "params": {"fats": 3},
        "grid": {"fast": "2:10:0"},
        "chunk_size": 1,
        "fee_rate": 0.5,
    }
    fixes = [
        ("colour", ...),
        ("tickers", ["ACME"]),
        ("rule_type", "SMA_CROSS"),
        ("params", {}),
        ("grid", {"fast": [5, 10]}),
        ("chunk_size", 50),
        ("fee_rate", 0.001),
    ]
    seen = []
    for name, fixed in fixes:
        seen.append(_error(body)[0])
        body = {**body, name: fixed}
        body = {key: value for key, value in body.items() if value is not ...}
    assert seen == [
        "colour",
        "tickers[1]",
        "rule_type",
        "params.fats",
        "grid.fast",
        "chunk_size",
        "fee_rate",
    ]
    assert parse_sweep_request(body).combos == 2


def test_a_null_chunk_size_takes_the_callers_default():
    """null is "not given", like an absent chunk_size: the caller's default applies."""
    assert parse_sweep_request({**BASE, "chunk_size": None}, 250).chunk_size == 250
    assert parse_sweep_request({**BASE, "chunk_size": 60}, 250).chunk_size == 60


def test_the_schema_describes_exactly_the_fields_a_sweep_accepts():
    """Every field the API accepts (the sweep's and the submission's ``cache``) is in the
    schema and nothing else; run_id, rule_id and charts are not."""
    schema = sweep_json_schema()
    assert (
        set(schema["properties"]) == {*SWEEP_FIELDS, *SUBMISSION_FIELDS} == {*SWEEP_FIELDS, "cache"}
    )
    assert not set(NOT_SWEEP_FIELDS) & set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_the_schema_carries_the_callers_default_chunk_size():
    """The app's SWEEP_CHUNK_SIZE setting is what the form shows as the default."""
    assert sweep_json_schema(250)["properties"]["chunk_size"]["default"] == 250


@pytest.mark.parametrize(
    "body",
    [
        BASE,
        {**BASE, "ticker": None, "tickers": ["ACME", "GLOBEX"]},
        {**BASE, "ticker": "", "tickers": ["ACME"], "chunk_size": 50},
        {**BASE, "params": {"slow": 50}, "grid": {"fast": [10, 20]}},
        {**BASE, "rule_type": "BOLLINGER", "grid": {"std_dev": "1.5:2.0:0.1"}},
        {**BASE, "rule_type": "COMPOSITE", "grid": {"operator": ["AND", "OR"]}},
        {**BASE, "size_type": "percent", "position_size": 100, "direction": "longshort"},
        {**BASE, "stop_loss_pct": 5, "grid": {"fast": [5], "stop_loss_pct": [None, 2.5]}},
        {**BASE, "grid": {"take_profit_pct": "5:20:5", "trailing_stop_pct": [3]}},
        {**BASE, "grid": {"max_entries": "1:4:1", "exit_fraction": [0.25, 1]}},
        {**BASE, "take_profit_pct": 5, "grid": {"take_profit_fraction": [0.5, 1]}},
    ],
)
def test_a_request_the_api_accepts_is_valid_under_the_schema(validator, body):
    """The schema never refuses what the API accepts."""
    parse_sweep_request(body)
    assert not list(validator.iter_errors(body))


@pytest.mark.parametrize(
    "changes",
    [
        {"run_id": "x"},
        {"charts": False},
        {"tickers": ["GLOBEX"]},
        {"ticker": None},
        {"ticker": None, "tickers": []},
        {"ticker": None, "tickers": [f"T{i}" for i in range(MAX_TICKERS + 1)]},
        {"ticker": None, "tickers": ["ACME", "ACME"]},
        {"chunk_size": 49},
        {"chunk_size": 100.5},
        {"grid": {}},
        {"grid": {"fast": "10-30"}},
        {"grid": {"fast": "2:10"}},
        {"grid": {"fast": []}},
        {"grid": {"fast": [1]}},
        {"grid": {"speed": [2]}},
        {"params": {"fats": 3}},
        {"params": {"fast": "ten"}, "grid": {"slow": [50]}},
        {"rule_type": "BOLLINGER", "grid": {"std_dev": [9.5]}},
        {"rule_type": "COMPOSITE", "grid": {"operator": "1:2:1"}},
        {"rule_type": "COMPOSITE", "grid": {"rules": [[]]}},
        {"size_type": "percent", "position_size": 150},
        {"fee_rate": 0.5},
        {"stop_loss_pct": 100},
        {"grid": {"stop_loss_pct": [0]}},
        {"grid": {"take_profit_pct": []}},
        {"grid": {"trailing_stop_pct": ["3"]}},
        {"grid": {"max_entries": [0]}},
        {"grid": {"max_entries": [1.5]}},
        {"grid": {"max_entries": [None]}},
        {"grid": {"exit_fraction": [0]}},
        {"grid": {"take_profit_fraction": [1.5]}},
    ],
)
def test_a_request_the_schema_refuses_is_refused_by_the_api(validator, changes):
    """What the form can tell from the schema alone, the API refuses too (400)."""
    body = {**BASE, **changes}
    assert list(validator.iter_errors(body))
    with pytest.raises(RequestError):
        parse_sweep_request(body)


def test_trading_fields_are_every_run_field_a_sweep_passes_on():
    """A run field added to the contract is passed to every combination (and becomes a
    bulk_sweep option) without a second list to update."""
    varied = {"ticker", "rule_type", "params", *NOT_SWEEP_FIELDS}
    assert set(TRADING_FIELDS) == set(REQUEST_FIELDS) - varied
    assert set(SWEEP_FIELDS) == {*TRADING_FIELDS, *varied - set(NOT_SWEEP_FIELDS), "tickers",
                                 "grid", "chunk_size", "cscv_blocks", "random"}  # fmt: skip


def test_importing_the_sweep_contract_loads_no_pydantic():
    """A consumer reads chunk messages through kinds.sweeps.contract: the sweep model (pydantic)
    is imported by the first validation, never by the contract."""
    assert loaded_by("import kinds.sweeps.contract", ["pydantic"]) == []


def test_the_model_is_ready_when_imported_so_a_request_builds_nothing():
    """Like the run model, the sweep model is built at import (a benchmark imports it before
    its clock): validating a request then costs microseconds, not a schema build."""
    from kinds.sweeps.request_model import SweepRequestBody

    assert SweepRequestBody.__pydantic_complete__
