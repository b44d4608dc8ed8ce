"""kinds.runs.signal_report: the analyzer's request (a run's rule and window plus horizons) and its
one execution path, on the repository's demo data."""

from __future__ import annotations

import json

import pytest

from kinds.runs.contract import RequestError
from kinds.runs.signal_report import (
    MAX_HORIZONS,
    SIGNAL_FIELDS,
    analyze,
    parse_signal_request,
    report_for,
    signal_fields,
)

BODY = {
    "ticker": "acme",
    "rule_type": "macd",
    "start_date": "2019-01-01",
    "end_date": "2020-12-31",
}


def test_the_request_is_normalised_like_a_run_request():
    """Ticker upper-cased, rule canonical with its defaults, horizons sorted and distinct."""
    request = parse_signal_request({**BODY, "horizons": [20, 1, 20]})
    assert request.horizons == (1, 20)
    assert request.to_dict() == {
        "ticker": "ACME",
        "rule_type": "MACD",
        "params": {"fast": 12, "slow": 26, "signal": 9},
        "rule_id": "macd-12-26-9",
        "start_date": "2019-01-01",
        "end_date": "2020-12-31",
        "timeframe": "1d",
        "horizons": [1, 20],
    }


@pytest.mark.parametrize("name", ["initial_capital", "direction", "charts", "run_id", "tags"])
def test_a_run_field_that_is_not_the_rule_or_window_is_refused(name):
    """Trading parameters and a run's own fields name themselves in the 400."""
    with pytest.raises(RequestError) as refused:
        parse_signal_request({**BODY, name: None})
    assert (refused.value.field, refused.value.message) == (
        name,
        "is not a signal analysis field",
    )


def test_at_most_ten_horizons():
    """Ten pass, eleven are refused."""
    parse_signal_request({**BODY, "horizons": list(range(1, MAX_HORIZONS + 1))})
    with pytest.raises(RequestError, match="1 to 10 whole numbers"):
        parse_signal_request({**BODY, "horizons": list(range(1, MAX_HORIZONS + 2))})


def test_a_stored_run_request_keeps_only_the_analyzer_fields():
    """?from=<run_id> drops the run's id and trading parameters."""
    stored = {**BODY, "run_id": "x", "fee_rate": 0.001, "direction": "longshort", "charts": True}
    assert set(signal_fields(stored)) == set(BODY)
    assert set(SIGNAL_FIELDS) >= set(BODY)


def test_the_same_request_gives_the_same_bytes(demo_data_dir):
    """Reproducible: data_hash recorded, no sampling in the baseline."""
    first = json.dumps(report_for(BODY, demo_data_dir).body, allow_nan=False)
    again = json.dumps(
        analyze(parse_signal_request(dict(BODY)), demo_data_dir).body, allow_nan=False
    )
    assert first == again
    assert json.loads(first)["data_hash"]


def test_too_many_bars_names_end_date_as_a_run_does(demo_data_dir):
    """The bar limit is the run's (RUN_MAX_BARS), with the same field."""
    with pytest.raises(RequestError) as refused:
        report_for(BODY, demo_data_dir, bar_limit=100)
    assert refused.value.field == "end_date"
