"""A derived rule id fits the stored column on the real MariaDB/MySQL (TEST_DATABASE_URL):
requests whose slug would be longer than ``backtest_results.rule_id`` (long decimals, three
sub-rules, twelve $parameters, a tiny number written out) are accepted as a run and as a
study's trial run, with an id that starts like the slug and ends in a hash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules import rule_slug
from store.models import BacktestRun, StudyTrial
from tests.web.support import app_with_data, serve, valid_request
from web.db import get_database

pytestmark = [pytest.mark.mysql, pytest.mark.redis]

_RSI_MACD = {"rule_type": "RSI_MACD", "params": {"rsi_below": 50.123456, "overbought": 70.123456}}
_NAMES = [f"p{i}" for i in range(12)]
LONG_RULES = {
    "three sub-rules with long decimals": ("COMPOSITE", {"rules": [_RSI_MACD] * 3}),
    "twelve $parameters": (
        "EXPR",
        {
            "entry": " and ".join(f"close > ${name}" for name in _NAMES),
            "exit": "close < 1",
            **dict.fromkeys(_NAMES, 123456.789),
        },
    ),
    "a tiny $parameter": ("EXPR", {"entry": "close > $low", "exit": "close < 1", "low": 1e-300}),
}
COLUMN_WIDTH = BacktestRun.__table__.c.rule_id.type.length


@pytest.fixture
def app(mysql_url, redis_url, tmp_path: Path):
    yield from serve(app_with_data(mysql_url, redis_url, tmp_path))


def _stored_rule_id(app, run_id: str) -> str:
    with get_database(app).sessionmaker() as session:
        return session.get(BacktestRun, run_id).rule_id


@pytest.mark.parametrize("rule", LONG_RULES.values(), ids=LONG_RULES.keys())
def test_a_run_whose_slug_is_too_long_is_accepted_with_a_bounded_id(app, client, rule):
    """202, and the stored rule id is at most the column's width, begins as the slug does
    and is the same for the same request."""
    rule_type, params = rule
    response = client.post("/run_backtest", json=valid_request(rule_type=rule_type, params=params))
    assert response.status_code == 202, response.get_json()
    rule_id = _stored_rule_id(app, response.get_json()["run_id"])
    assert len(rule_id) <= COLUMN_WIDTH
    assert rule_id == rule_slug(rule_type, params)
    assert rule_id.startswith(f"{rule_type.lower()}-")


def test_a_study_trial_whose_slug_is_too_long_runs_as_a_backtest(app, client):
    """POST /api/studies/<id>/trials/<n>/run with a trial whose slug is too long: 202."""
    study = {
        "ticker": valid_request()["ticker"],
        "rule_type": "EXPR",
        "params": {"entry": "close > $low", "exit": "close < 1"},
        "start_date": "2021-02-01",
        "end_date": "2021-05-31",
        "space": {"low": {"low": 1e-300, "high": 1.0}},
        "n_trials": 10,
        "batch_size": 10,
    }
    answer = client.post("/api/studies", json=study)
    assert answer.status_code == 202, answer.get_json()
    study_id = answer.get_json()["study_id"]
    with get_database(app).sessionmaker.begin() as session:
        session.add(
            StudyTrial(
                study_id=study_id,
                number=0,
                batch_id=f"{study_id}-b0",
                state="COMPLETE",
                params_json=json.dumps({"low": 1e-300}),
                started_at=datetime.now(UTC),
            )
        )
    response = client.post(f"/api/studies/{study_id}/trials/0/run")
    assert response.status_code == 202, response.get_json()
    assert len(_stored_rule_id(app, response.get_json()["run_id"])) <= COLUMN_WIDTH
