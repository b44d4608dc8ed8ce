"""Presets of walk-forward requests (``kind: "walkforward"`` on /api/strategies), a walk over a
portfolio among them: saved as sent, listed by kind, checked as ``POST /api/walkforward``
checks a request (its folds planned on the data; its 400 under ``payload.``) with nothing
recorded or queued, and submitted as they are."""

from __future__ import annotations

import pytest

from tests.portfolios.support import demo_app
from tests.walkforward.support import portfolio_walkforward

pytestmark = pytest.mark.redis

PORTFOLIO_WALKFORWARD = portfolio_walkforward()


@pytest.fixture
def client(sqlite_url: str, redis_url: str, demo_data_dir):
    """A client of the app on the shipped demo data."""
    for app in demo_app(sqlite_url, redis_url, demo_data_dir):
        yield app.test_client()


def test_a_portfolio_walkforward_preset_is_saved_listed_by_kind_and_submits_as_it_is(client):
    saved = client.post(
        "/api/strategies",
        json={"name": "walk", "payload": PORTFOLIO_WALKFORWARD, "kind": "walkforward"},
    )
    assert saved.status_code == 201, saved.get_json()
    assert (saved.get_json()["kind"], saved.get_json()["payload"]) == (
        "walkforward",
        PORTFOLIO_WALKFORWARD,
    )
    listed = client.get("/api/strategies?kind=walkforward").get_json()
    assert [p["name"] for p in listed] == ["walk"]
    assert client.get("/api/strategies?kind=study").get_json() == []
    assert client.get("/api/walkforward").get_json()["walkforwards"] == []  # checked only
    submitted = client.post("/api/walkforward", json=listed[0]["payload"])
    assert submitted.status_code == 202, submitted.get_json()
    assert submitted.get_json()["folds"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base": {**PORTFOLIO_WALKFORWARD["base"], "tickers": ["ACME", "NOPE"]}}, "payload.base.tickers"),  # noqa: E501
        ({"grid": {"zz": [1]}}, "payload.grid.zz"),
        ({"train_bars": 5000}, "payload.train_bars"),
    ],
)  # fmt: skip
def test_a_walkforward_preset_is_checked_as_a_walkforward_submission(client, change, field):
    answer = client.post(
        "/api/strategies",
        json={"name": "bad", "payload": {**PORTFOLIO_WALKFORWARD, **change}, "kind": "walkforward"},
    )
    assert answer.status_code == 400
    assert answer.get_json()["field"].startswith(field), answer.get_json()
    assert client.get("/api/strategies").get_json() == []
