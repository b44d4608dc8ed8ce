"""POST /api/analyze_signals (web/api/signals.py, kinds/runs/signal_report.py): the answer on the
ACME demo data checked against signals computed here independently, a 400 naming each field,
the validator's warnings, access control and the rate limit."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from data import load_history
from rules import generate_signals, validate_rule
from rules.warmup import warmup
from tests.web.support import app_with_schema, close_app, serve
from tests.web.support_auth import bearer, new_token, token_app

"""The repository's demo data directory (ACME and its peers)."""

URL = "/api/analyze_signals"


@pytest.fixture
def app(sqlite_url, redis_url, demo_data_dir):
    """The platform's app on the demo data."""
    yield from serve(app_with_schema(sqlite_url, redis_url, demo_data_dir))


def acme(**fields) -> dict:
    """An ACME request with ``fields`` replaced (None leaves the field out)."""
    body = {
        "ticker": "ACME",
        "rule_type": "SMA_CROSS",
        "params": {"fast": 10, "slow": 30},
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
    }
    body.update(fields)
    return {name: value for name, value in body.items() if value is not None}


def test_the_answer_on_acme_matches_signals_computed_independently(client, demo_data_dir):
    """Counts, gaps, conflicts and forward returns equal a direct computation on the file:
    signals of the whole history up to the window's end, cut to the window."""
    response = client.post(URL, json=acme(horizons=[20, 5, 1, 5]))
    assert response.status_code == 200
    body = response.get_json()
    history = load_history("ACME", date(2016, 1, 1), date(2020, 12, 31), demo_data_dir)
    bars = history.bars.slice(0, history.stop)
    entries, exits = generate_signals("SMA_CROSS", {"fast": 10, "slow": 30}, bars)
    window = slice(history.start, history.stop)
    entries, exits, close = entries[window], exits[window], bars.close[window]
    n = len(close)
    assert body["bars"] == n
    assert body["request"]["horizons"] == [1, 5, 20]
    assert body["request"]["rule_id"] == "sma_cross-10-30"
    assert body["entries"]["count"] == entries.sum() > 0
    assert body["exits"]["count"] == exits.sum()
    assert body["conflicting_bars"] == int((entries & exits).sum())
    assert body["entries"]["gap_bars"]["max"] == int(np.diff(np.flatnonzero(entries)).max())
    assert body["warmup"] == {"bars": 30, "entry_bars": 30, "exit_bars": 30}
    assert body["entry_warmup_in_window"] == 0
    for row in body["forward_returns"]:
        h = row["horizon"]
        starts = np.flatnonzero(entries[: n - h])
        returns = close[starts + h] / close[starts] - 1
        assert row["entries"]["count"] == len(returns)
        assert row["entries"]["mean"] == pytest.approx(returns.mean())
        assert row["entries"]["hit_rate"] == pytest.approx((returns > 0).mean())
        everything = close[h:] / close[:-h] - 1
        assert row["baseline"]["count"] == n - h
        assert row["baseline"]["median"] == pytest.approx(np.median(everything))
    assert body["warnings"] == []


def test_partial_or_empty_params_take_their_defaults(client):
    """``params: {}`` is every default and ``{"slow": 40}`` keeps fast at its default; the
    normalised request shows the filled values."""
    empty = client.post(URL, json=acme(params={}))
    assert empty.status_code == 200, empty.get_json()
    assert empty.get_json()["request"]["params"] == {"fast": 10, "slow": 20}
    partial = client.post(URL, json=acme(params={"slow": 40}))
    assert partial.status_code == 200, partial.get_json()
    assert partial.get_json()["request"]["params"] == {"fast": 10, "slow": 40}


def test_the_default_horizons_are_1_5_20(client):
    """No ``horizons``: 1, 5 and 20 bars."""
    body = client.post(URL, json=acme()).get_json()
    assert [row["horizon"] for row in body["forward_returns"]] == [1, 5, 20]


def test_a_composite_rule_and_rule_type_case_are_accepted(client):
    """The rule part is the run request's: any registered rule, case-insensitive."""
    rules = [{"rule_type": "rsi", "params": None}, {"rule_type": "MACD", "params": None}]
    body = acme(rule_type="composite", params={"operator": "OR", "rules": rules})
    answer = client.post(URL, json=body)
    assert answer.status_code == 200
    _, params = validate_rule("COMPOSITE", {"operator": "OR", "rules": rules})
    assert answer.get_json()["warmup"]["entry_bars"] == warmup("COMPOSITE", params)[0]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ticker": None}, "ticker"),
        ({"ticker": "NOPE"}, "ticker"),
        ({"ticker": 5}, "ticker"),
        ({"rule_type": "RSX"}, "rule_type"),
        ({"rule_type": None}, "rule_type"),
        ({"params": {"fast": 30, "slow": 10}}, "params.fast"),
        ({"params": {"fast": 1, "slow": 10}}, "params.fast"),
        ({"rule_id": "Not A Slug"}, "rule_id"),
        ({"start_date": "2016-13-01"}, "start_date"),
        ({"start_date": "1990-01-01", "end_date": "1990-12-31"}, "start_date"),
        ({"end_date": "2015-01-01"}, "end_date"),
        ({"timeframe": "1y"}, "timeframe"),
        ({"horizons": []}, "horizons"),
        ({"horizons": [0]}, "horizons"),
        ({"horizons": "5"}, "horizons"),
        ({"horizons": [1.5]}, "horizons"),
        ({"horizons": [True]}, "horizons"),
        ({"horizons": list(range(1, 12))}, "horizons"),
        ({"horizons": [5000]}, "horizons"),
        ({"direction": "longshort"}, "direction"),
        ({"fee_rate": 0.001}, "fee_rate"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_field_is_a_400_naming_it(client, fields, field):
    """Each refused value (None: the field left out) names its field, as a run's would."""
    response = client.post(URL, json=acme(**fields))
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["field"] == field
    assert answer["error"]


def test_a_horizon_as_long_as_the_window_is_refused_with_its_size(client):
    """A one-week window has 5 bars: horizon 5 has no bar that far."""
    body = acme(start_date="2020-06-01", end_date="2020-06-05", horizons=[1, 5])
    answer = client.post(URL, json=body).get_json()
    assert answer["field"] == "horizons"
    assert "(5 bars)" in answer["error"]


def test_a_body_that_is_no_object_is_a_400(client):
    assert client.post(URL, json=[1, 2]).get_json()["field"] == "body"
    assert client.post(URL, data="{", content_type="application/json").status_code == 400


def test_a_rule_that_never_fires_is_warned(client):
    """RSI below 1 never happens on ACME."""
    params = {"period": 14, "oversold": 1, "overbought": 99}
    body = client.post(URL, json=acme(rule_type="RSI", params=params)).get_json()
    assert body["entries"]["count"] == 0
    assert [w["code"] for w in body["warnings"]] == ["never_fires"]
    assert all(row["entries"]["mean"] is None for row in body["forward_returns"])


def test_a_rule_that_fires_on_most_bars_is_warned(client):
    """RSI below 98 holds on almost every bar (and it never rises above 99)."""
    params = {"period": 14, "oversold": 98, "overbought": 99}
    body = client.post(URL, json=acme(rule_type="RSI", params=params)).get_json()
    assert body["entries"]["share_of_bars"] > 0.5
    codes = [w["code"] for w in body["warnings"]]
    assert "fires_on_most_bars" in codes


def test_a_window_at_the_start_of_the_file_warns_of_the_warm_up(client):
    """ACME starts on 2014-01-02: SMA(50) cannot cross before bar 50 of the window."""
    params = {"fast": 10, "slow": 50}
    body = acme(params=params, start_date="2014-01-01", end_date="2015-12-31")
    answer = client.post(URL, json=body).get_json()
    assert answer["entry_warmup_in_window"] == 50
    assert "warmup_in_window" in [w["code"] for w in answer["warnings"]]
    assert answer["forward_returns"][0]["baseline"]["count"] == answer["bars"] - 50 - 1


def test_token_mode_needs_a_token_and_the_rate_limit_counts_analyses(
    sqlite_url, redis_url, demo_data_dir
):
    """401 without a token; with SUBMIT_RATE_LIMIT=2/hour the third analysis is 429."""
    app = token_app(sqlite_url, redis_url, demo_data_dir, SUBMIT_RATE_LIMIT="2/hour")
    try:
        client = app.test_client()
        assert client.post(URL, json=acme()).status_code == 401
        token = new_token(app, "alice")
        statuses = [client.post(URL, json=acme(), headers=bearer(token)).status_code]
        statuses.append(client.post(URL, json=acme(), headers=bearer(token)).status_code)
        statuses.append(client.post(URL, json=acme(), headers=bearer(token)).status_code)
        assert statuses == [200, 200, 429]
    finally:
        close_app(app)
