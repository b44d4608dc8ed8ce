"""Tests for scripts/bulk_inputs.py: requests read from JSON and CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kinds.runs.contract import parse_request
from scripts.bulk_inputs import InputError, cell_value, read_requests


def test_json_list_and_wrapped_list_are_read_as_given(tmp_path: Path):
    """A JSON list (or {"requests": [...]}) is read verbatim; run_ids are dropped, counted."""
    items = [
        {
            "ticker": "ACME",
            "rule_type": "RSI",
            "start_date": "2020-01-01",
            "end_date": "2020-12-31",
        },
        {"ticker": "GLOBEX", "rule_type": "MACD", "params": {"fast": 5, "slow": 9, "signal": 3}},
    ]
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(items))
    assert read_requests(plain) == (items, 0)
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"requests": [{**items[0], "run_id": "x"}]}))
    assert read_requests(wrapped) == ([items[0]], 1)


def test_csv_rows_become_valid_requests(tmp_path: Path):
    """Header columns are request fields; params come from params.<name> or a params column."""
    path = tmp_path / "grid.csv"
    path.write_text(
        "ticker,rule_type,start_date,end_date,params.period,params.oversold,fee_rate,charts,params\n"
        "ACME,RSI,2020-01-01,2020-12-31,14,25.5,0.002,false,\n"
        'GLOBEX,SMA_CROSS,2021-01-01,2021-06-30,,,,,"{""fast"": 5, ""slow"": 20}"\n',
        encoding="utf-8",
    )
    requests, dropped = read_requests(path)
    assert dropped == 0
    assert requests[0] == {
        "ticker": "ACME",
        "rule_type": "RSI",
        "start_date": "2020-01-01",
        "end_date": "2020-12-31",
        "params": {"period": 14, "oversold": 25.5},
        "fee_rate": 0.002,
        "charts": False,
    }
    assert requests[1]["params"] == {"fast": 5, "slow": 20}
    assert "fee_rate" not in requests[1]
    parsed = parse_request(requests[1])
    assert (parsed.ticker, parsed.params) == ("GLOBEX", {"fast": 5, "slow": 20})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", "x", "use a .json or .csv"),
        ("a.json", "{", "not valid JSON"),
        ("a.json", '{"a": 1}', "expected a list"),
        ("a.json", "[1]", "must be a JSON object"),
        ("a.csv", "", "no header"),
        ("a.csv", "ticker,params\nACME,[1]\n", "params must be a JSON object"),
        ("a.csv", "ticker,charts\nACME,maybe\n", "charts must be true or false"),
        ("b.csv", "ticker,cache\nACME,maybe\n", "cache must be true or false"),
        ("a.csv", "ticker\nACME,extra\n", "more cells"),
    ],
)
def test_unreadable_inputs_name_the_problem(tmp_path: Path, name, content, message):
    """Each unreadable input raises InputError saying what and where."""
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_requests(path)


def test_missing_file_is_an_input_error(tmp_path: Path):
    """A path that is not a file is refused."""
    with pytest.raises(InputError, match="no such file"):
        read_requests(tmp_path / "absent.json")


@pytest.mark.parametrize(
    ("text", "value"), [("14", 14), ("-3", -3), ("2.5", 2.5), ("1e-3", 0.001), ("AND", "AND")]
)
def test_cells_are_numbers_when_they_look_like_one(text, value):
    """Integers stay int, decimals become float, anything else stays text."""
    assert cell_value(text) == value
    assert type(cell_value(text)) is type(value)
