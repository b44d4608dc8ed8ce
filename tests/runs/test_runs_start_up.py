"""What a run loads in a fresh interpreter: a Job's start-up is part of every run, so a run of
a built-in rule on a ticker without events leaves the strategy language and the corporate
action code unloaded, and a run that uses them loads them on first use."""

from __future__ import annotations

import pytest

from tests.fresh import loaded_by

LANGUAGE = ["lark", "rules.expr.check", "rules.expr.tree", "rules.expr.cost"]
"""The strategy language's parser, checker, tree and cost."""

CORPORATE = ["engine.corporate"]
"""The engine's corporate actions."""


def run_statement(body: str) -> str:
    """Code that executes the run request ``body`` (a Python dict literal) through the one
    execution path, on the session's demo data (DATA_DIR)."""
    return (
        "from kinds.runs.contract import parse_request\n"
        "from kinds.runs.execute import execute\n"
        f"result = execute(parse_request({body}))\n"
        "assert result.status == 'SUCCEEDED', result.error_message"
    )


@pytest.mark.slow
def test_a_built_in_rule_on_a_ticker_without_events_loads_no_language_or_corporate_actions():
    statement = run_statement(
        "{'ticker': 'ACME', 'rule_type': 'RSI', 'start_date': '2016-01-01', "
        "'end_date': '2017-12-31', 'charts': False}"
    )
    assert loaded_by(statement, LANGUAGE + CORPORATE) == []


@pytest.mark.slow
def test_an_expr_run_loads_the_language_on_first_use():
    statement = run_statement(
        "{'ticker': 'ACME', 'rule_type': 'EXPR', 'params': {'entry': 'close > sma(close, $n)', "
        "'exit': 'close < sma(close, $n)', 'n': 20}, 'start_date': '2016-01-01', "
        "'end_date': '2017-12-31', 'charts': False}"
    )
    assert loaded_by(statement, LANGUAGE + CORPORATE) == LANGUAGE


@pytest.mark.slow
def test_a_run_on_a_ticker_with_events_loads_the_corporate_actions():
    statement = run_statement(
        "{'ticker': 'DNDR', 'rule_type': 'RSI', 'start_date': '2015-01-01', "
        "'end_date': '2024-12-31', 'charts': False}"
    )
    assert loaded_by(statement, CORPORATE) == CORPORATE
