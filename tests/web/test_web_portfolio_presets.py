"""Presets of portfolio requests (``kind: "portfolio"`` on /api/strategies): saved, listed by
kind, checked as a portfolio submission is, replaced and deleted; run presets unchanged."""

from __future__ import annotations

import pytest

from tests.portfolios.support import demo_app, valid_portfolio

pytestmark = pytest.mark.redis

RUN_PAYLOAD = {"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 20}}


@pytest.fixture
def client(sqlite_url: str, redis_url: str, demo_data_dir):
    """A client of the app on the shipped demo data (a portfolio's tickers are checked
    against its catalog)."""
    for app in demo_app(sqlite_url, redis_url, demo_data_dir):
        yield app.test_client()


def _save(client, name: str, payload: dict, **fields):
    return client.post("/api/strategies", json={"name": name, "payload": payload, **fields})


def test_a_portfolio_preset_is_saved_with_its_kind_and_listed_by_kind(client):
    """A portfolio request saved as a preset comes back as sent with ``kind: portfolio``;
    ``?kind=`` lists one kind, no filter every kind (as before)."""
    saved = _save(client, "momentum", valid_portfolio(), kind="portfolio")
    assert saved.status_code == 201
    assert (saved.get_json()["kind"], saved.get_json()["payload"]) == (
        "portfolio",
        valid_portfolio(),
    )
    run = _save(client, "cross", RUN_PAYLOAD)
    assert run.get_json()["kind"] == "run"  # no kind: a run preset, as every old client sends
    names = lambda query: [p["name"] for p in client.get(f"/api/strategies{query}").get_json()]  # noqa: E731
    assert names("?kind=portfolio") == ["momentum"]
    assert names("?kind=run") == ["cross"]
    assert names("") == ["cross", "momentum"]
    one = client.get(f"/api/strategies/{saved.get_json()['id']}").get_json()
    assert one == saved.get_json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tickers": ["ACME", "NOPE"]}, "payload.tickers[1]"),
        ({"tickers": ["ACME"]}, "payload.tickers"),
        ({"allocation": {"method": "rank", "score": "roc(close, ", "top_n": 2}}, "payload.allocation.score"),  # noqa: E501
        ({"allocation": {"method": "fixed", "weights": {"ACME": 0.7, "HOOLI": 0.6}}}, "payload.allocation.weights"),  # noqa: E501
        ({"end_date": "2017-01-01"}, "payload.end_date"),
        ({"surprise": 1}, "payload.surprise"),
    ],
)  # fmt: skip
def test_a_portfolio_preset_is_checked_as_a_portfolio_submission(client, change, field):
    """The payload of a portfolio preset gets the very 400 ``POST /api/portfolios`` would
    answer, its field under ``payload.``; nothing is saved."""
    saved = _save(client, "bad", valid_portfolio(**change), kind="portfolio")
    submitted = client.post("/api/portfolios", json=valid_portfolio(**change))
    assert saved.status_code == submitted.status_code == 400
    assert saved.get_json() == {
        "error": submitted.get_json()["error"],
        "field": field,
    }
    assert client.get("/api/strategies").get_json() == []


def test_an_unknown_kind_is_a_400_naming_kind_in_the_body_and_the_query(client):
    """``kind`` is run or portfolio, in a body and in the list's query."""
    body = _save(client, "x", RUN_PAYLOAD, kind="sweep")
    assert (body.status_code, body.get_json()["field"]) == (400, "kind")
    assert "run, portfolio" in body.get_json()["error"]
    listed = client.get("/api/strategies?kind=sweep")
    assert (listed.status_code, listed.get_json()["field"]) == (400, "kind")


def test_a_run_payload_is_not_a_portfolio_and_the_reverse(client):
    """Each kind's payload is checked as its own form's: a run's values are no portfolio
    request, and a portfolio request names no rule a run preset could load."""
    as_portfolio = _save(client, "a", RUN_PAYLOAD, kind="portfolio")
    assert as_portfolio.status_code == 400
    assert as_portfolio.get_json()["field"].startswith("payload.")
    as_run = _save(client, "b", {**valid_portfolio(), "rule_type": "NOPE"})
    assert (as_run.status_code, as_run.get_json()["field"]) == (400, "payload.rule_type")


def test_a_put_without_kind_keeps_the_portfolio_kind_and_checks_its_payload_as_one(client):
    """Replacing a portfolio preset without ``kind`` keeps it a portfolio preset: the new
    payload is checked as a portfolio request (a bad one is a 400 and changes nothing)."""
    created = _save(client, "rotation", valid_portfolio(), kind="portfolio").get_json()
    url = f"/api/strategies/{created['id']}"
    changed = valid_portfolio(params={"n": 63})
    replaced = client.put(url, json={"name": "rotation 63", "payload": changed})
    assert replaced.status_code == 200
    assert (replaced.get_json()["kind"], replaced.get_json()["payload"]) == ("portfolio", changed)
    bad = client.put(url, json={"name": "rotation", "payload": valid_portfolio(tickers=["ACME"])})
    assert (bad.status_code, bad.get_json()["field"]) == (400, "payload.tickers")
    assert client.get(url).get_json() == replaced.get_json()
    assert client.delete(url).status_code == 204
    assert client.get("/api/strategies?kind=portfolio").get_json() == []
