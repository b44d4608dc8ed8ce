"""The strategy language's reference (rules/expr/reference.py), served as EXPR's
``language`` in GET /api/rules for the dashboard's editors: built from the code's own
tables, so every function, series and operator it lists is one the parser accepts, and
every example validates and sweeps."""

from __future__ import annotations

import pytest

from rules import describe_rules, validate_rule
from rules.expr import compile_program
from rules.expr.functions import FUNCTIONS
from rules.expr.parse import COLUMNS
from rules.expr.reference import OPERATORS, reference
from rules.registry import RULES


def _language() -> dict:
    (expr,) = [rule for rule in describe_rules() if rule["rule_type"] == "EXPR"]
    return expr["language"]


def test_expr_describes_its_language_and_the_builtin_rules_none():
    """EXPR's entry in /api/rules carries the reference; every other rule ``null``."""
    assert _language() == reference()
    assert all(rule["language"] is None for rule in describe_rules() if rule["rule_type"] != "EXPR")


def test_the_reference_lists_every_function_of_the_table_with_its_signature():
    """One row per whitelisted function, in the table's order, its signature callable as
    written (optional arguments in brackets), its summary the table's."""
    functions = _language()["functions"]
    assert [f["name"] for f in functions] == list(FUNCTIONS)
    by_name = {f["name"]: f for f in functions}
    assert by_name["sma"]["signature"] == "sma(x, n)"
    assert by_name["vwap"]["signature"] == "vwap([n])"
    assert by_name["obv"]["signature"] == "obv()"
    for name, row in by_name.items():
        assert row["summary"] == FUNCTIONS[name].summary and "\n" not in row["summary"]
    assert _language()["series"] == list(COLUMNS)


@pytest.mark.parametrize("syntax", [s for s, _ in OPERATORS])
def test_every_listed_operator_is_one_the_parser_accepts(syntax):
    texts = {
        "or": "close > 1 or close < 1",
        "and": "close > 1 and close < 1",
        "not": "not close > 1",
        "< <= > >= == !=": "close < 1 and close <= 1 and close > 1 and close >= 1 "
        "and close == 1 and close != 1",
        "+ -": "close + 1 > close - 1",
        "* /": "close * 2 > close / 2",
        "-x": "-close < 0",
        "( )": "(close > 1)",
    }
    compile_program(texts[syntax], "close < 1")


@pytest.mark.parametrize("index", range(len(reference()["examples"])))
def test_every_example_runs_with_its_values_and_sweeps_its_grid(index):
    """Click-to-insert examples: the texts with ``params`` are a valid run; each ``grid``
    entry names a $name of the texts (what the sweep and walk-forward forms vary)."""
    example = reference()["examples"][index]
    params = {"entry": example["entry"], "exit": example["exit"], **example["params"]}
    _, normalised = validate_rule("EXPR", params)
    assert set(example["grid"]) <= set(normalised["bounds"])
    assert RULES["EXPR"].resolve(params).param(next(iter(example["grid"])))


def test_the_reference_is_a_fresh_copy():
    """Changing one answer does not change the next (the dashboard embeds it per page)."""
    first = reference()
    first["functions"].clear()
    assert reference()["functions"]
