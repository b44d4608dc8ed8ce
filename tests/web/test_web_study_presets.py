"""Presets of study requests (``kind: "study"`` on /api/strategies), a study over a portfolio
among them: saved as sent, listed by kind, checked as ``POST /api/studies`` checks a request
(its 400 under ``payload.``) with nothing recorded or queued, and submitted as it is."""

from __future__ import annotations

import pytest

from tests.portfolios.support import demo_app, valid_portfolio

pytestmark = pytest.mark.redis

PORTFOLIO_STUDY = {
    "kind": "portfolio",
    "base": valid_portfolio(end_date="2019-12-31"),
    "space": {"n": {"low": 5, "high": 60}, "top_n": {"low": 1, "high": 3}},
    "n_trials": 20,
}


@pytest.fixture
def client(sqlite_url: str, redis_url: str, demo_data_dir):
    """A client of the app on the shipped demo data."""
    for app in demo_app(sqlite_url, redis_url, demo_data_dir):
        yield app.test_client()


def test_a_portfolio_study_preset_is_saved_listed_by_kind_and_submits_as_it_is(client):
    saved = client.post(
        "/api/strategies", json={"name": "lookback", "payload": PORTFOLIO_STUDY, "kind": "study"}
    )
    assert saved.status_code == 201, saved.get_json()
    assert (saved.get_json()["kind"], saved.get_json()["payload"]) == ("study", PORTFOLIO_STUDY)
    listed = client.get("/api/strategies?kind=study").get_json()
    assert [p["name"] for p in listed] == ["lookback"]
    assert client.get("/api/strategies?kind=portfolio").get_json() == []
    assert client.get("/api/studies").get_json()["studies"] == []  # checked, not submitted
    submitted = client.post("/api/studies", json=listed[0]["payload"])
    assert submitted.status_code == 202, submitted.get_json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base": {**PORTFOLIO_STUDY["base"], "tickers": ["ACME", "NOPE"]}}, "payload.base.tickers[1]"),  # noqa: E501
        ({"space": {"nope": {"low": 1, "high": 2}}}, "payload.space.nope"),
        ({"n_trials": 0}, "payload.n_trials"),
    ],
)  # fmt: skip
def test_a_study_preset_is_checked_as_a_study_submission(client, change, field):
    answer = client.post(
        "/api/strategies",
        json={"name": "bad", "payload": {**PORTFOLIO_STUDY, **change}, "kind": "study"},
    )
    assert answer.status_code == 400
    assert answer.get_json()["field"] == field
    assert client.get("/api/strategies").get_json() == []
