"""Tests for scripts/bulk_grid.py: parsing ``--param`` values and expanding a grid of
tickers × rules × parameters with the real rule registry (what /api/rules serves)."""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal

import pytest

from rules import describe_rules, validate_rule
from scripts.bulk_grid import GridError, expand_grid, merge_params, parse_param, typed_values

RULES = describe_rules()
BASE = {"start_date": "2020-01-01", "end_date": "2020-12-31"}


def spec(rule_type: str, name: str) -> dict:
    rule = next(r for r in RULES if r["rule_type"] == rule_type)
    return next(p for p in rule["params"] if p["name"] == name)


def grid(tickers, rules, *params):
    return expand_grid(RULES, tickers, rules, merge_params([parse_param(p) for p in params]), BASE)


def test_a_range_is_inclusive_and_a_list_keeps_its_order():
    """start:stop:step includes stop when it is on the step; lists are typed per parameter."""
    period = spec("RSI", "period")
    assert typed_values(period, parse_param("period=10:30:5"), "RSI") == [10, 15, 20, 25, 30]
    assert typed_values(period, parse_param("period=10:29:5"), "RSI") == [10, 15, 20, 25]
    assert typed_values(period, parse_param("period=20,10,20"), "RSI") == [20, 10]
    oversold = spec("RSI", "oversold")
    assert typed_values(oversold, parse_param("oversold=0.1:0.3:0.1"), "RSI") == [0.1, 0.2, 0.3]
    operator = spec("COMPOSITE", "operator")
    assert typed_values(operator, parse_param("operator=and,OR"), "COMPOSITE") == ["AND", "OR"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("period", "use name="),
        ("period=", "use name="),
        ("period=1:2", "start:stop:step"),
        ("period=10:5:1", "below the start"),
        ("period=1:5:0", "step must be greater than 0"),
        ("period=a,b", "not a number"),
        ("period=1,,2", "empty value"),
        ("period=0:100000:1", "more than"),
        ("period=2:9999999999999999999999999999999999:1", "more than"),  # no DivisionImpossible
        ("period=1:99:1e-999999", "more than"),
    ],
)
def test_malformed_params_are_refused_with_a_reason(text, message):
    """Each malformed --param says what is wrong with it."""
    with pytest.raises(GridError, match=message):
        typed_values(spec("RSI", "period"), parse_param(text), "RSI")


def test_values_of_the_wrong_kind_are_refused():
    """An int parameter refuses 2.5; a choice refuses a range or an unknown option."""
    with pytest.raises(GridError, match="not an integer"):
        typed_values(spec("RSI", "period"), parse_param("period=2.5"), "RSI")
    with pytest.raises(GridError, match="takes a list"):
        typed_values(spec("COMPOSITE", "operator"), parse_param("operator=1:2:1"), "COMPOSITE")
    with pytest.raises(GridError, match="not one of"):
        typed_values(spec("COMPOSITE", "operator"), parse_param("operator=XOR"), "COMPOSITE")
    with pytest.raises(GridError, match="cannot be gridded"):
        typed_values(spec("COMPOSITE", "rules"), parse_param("rules=1"), "COMPOSITE")
    assert parse_param("x=1:2:0.5").step == Decimal("0.5")


def test_grid_applies_each_param_to_the_rules_that_have_it():
    """period only varies RSI, fast only SMA_CROSS; the rest keep registry defaults."""
    result = grid(["ACME", "GLOBEX"], ["RSI", "sma-cross"], "period=10:14:2", "fast=5,10")
    rsi = [r for r in result.requests if r["rule_type"] == "RSI"]
    sma = [r for r in result.requests if r["rule_type"] == "SMA_CROSS"]
    assert [r["params"]["period"] for r in rsi] == [10, 12, 14, 10, 12, 14]
    assert all(r["params"]["oversold"] == spec("RSI", "oversold")["default"] for r in rsi)
    assert [r["params"]["fast"] for r in sma] == [5, 10, 5, 10]
    assert all(r["params"]["slow"] == spec("SMA_CROSS", "slow")["default"] for r in sma)
    assert [r["ticker"] for r in result.requests] == ["ACME"] * 5 + ["GLOBEX"] * 5
    assert all(r["start_date"] == BASE["start_date"] for r in result.requests)
    assert not result.skipped


def test_grid_skips_and_counts_combinations_the_server_would_refuse():
    """fast >= slow combinations are skipped (counted per ticker); the rest validate."""
    fast, slow = [5, 10, 20], [10, 20]
    result = grid(["ACME", "GLOBEX"], ["SMA_CROSS"], "fast=5,10,20", "slow=10,20")
    expected = [(f, s) for f, s in itertools.product(fast, slow) if f < s]
    assert [(r["params"]["fast"], r["params"]["slow"]) for r in result.requests] == expected * 2
    invalid = len(fast) * len(slow) - len(expected)
    assert result.skipped == {"violates SMA_CROSS fast < slow": invalid * 2}
    for request in result.requests:
        validate_rule(request["rule_type"], request["params"])


def test_grid_skips_values_outside_a_rules_range():
    """A value valid for one rule but outside another's range is skipped for that one."""
    result = grid(["ACME"], ["MACD", "SMA_CROSS"], "fast=150,250", "slow=300")
    assert [(r["rule_type"], r["params"]["fast"]) for r in result.requests] == [
        ("MACD", 150),
        ("SMA_CROSS", 150),
        ("SMA_CROSS", 250),
    ]
    assert result.skipped == {"out of range: MACD fast": 1}


@pytest.mark.parametrize(
    ("rules", "params", "message"),
    [
        (["NOPE"], [], "unknown rule"),
        (["RSI"], ["fast=5"], "none of RSI"),
        (["RSI"], ["period=5", "period=6"], "given twice"),
    ],
)
def test_grid_refuses_unusable_options(rules, params, message):
    """Unknown rules, params no selected rule has, and repeated params are errors."""
    with pytest.raises(GridError, match=message):
        grid(["ACME"], rules, *params)


ENTRY = "close > sma(close, 200) and rsi(close, $n) < $low"
EXIT = "rsi(close, $n) > max($high, 50) or close < lag(lowest(low, 20), 1)"


def test_an_expression_text_survives_the_grid_parser_whole():
    """``entry=...`` keeps its spaces, commas and parentheses as one text; bounds is a JSON
    object; each $name of the texts is a parameter (a range grids it); every request the
    grid makes is one the registry accepts."""
    made = grid(
        ["ACME"],
        ["EXPR"],
        f"entry={ENTRY}",
        f"exit={EXIT}",
        'bounds={"n": [2, 50]}',
        "n=2:4:1",
        "low=10",
        "high=90",
    )
    assert len(made.requests) == 3 and not made.skipped
    first = made.requests[0]["params"]
    assert (first["entry"], first["exit"], first["bounds"]) == (ENTRY, EXIT, {"n": [2, 50]})
    assert [r["params"]["n"] for r in made.requests] == [2, 3, 4]
    for request in made.requests:
        validate_rule("EXPR", request["params"])


def test_a_json_list_of_texts_grids_the_texts():
    """``'entry=["…", "…"]'``: two entry texts, each whole (a comma inside one stays)."""
    texts = ["crossover(sma(close, 10), sma(close, 20))", "close > sma(close, 50)"]
    made = grid(["ACME"], ["EXPR"], "entry=" + json.dumps(texts))
    assert [r["params"]["entry"] for r in made.requests] == texts
    for request in made.requests:
        validate_rule("EXPR", request["params"])


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("bounds=n", "give a JSON object"),
        ('bounds=["n"]', "takes JSON objects"),
        ("entry=[1, 2]", "takes a text"),
        ("entry={oops", "is not valid JSON"),
        ("m=2", "is a parameter of none of EXPR"),
    ],
)
def test_a_bad_expression_option_is_refused_saying_why(option, words):
    with pytest.raises(GridError, match=re.escape(words)):
        grid(["ACME"], ["EXPR"], option)
