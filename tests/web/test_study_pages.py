"""The study pages (``web.pages.studies``) as the server renders them: the list and form at
/studies, the page of one study (its API URLs in the page data, its controls for its owner
only: a study shared with another user is read-only there; its "Is the best trial luck?"
card and the deflated Sharpe ratio its status URL carries), the 404 page of an unknown or
malformed id, and the navigation item. Real SQLite and Redis; no consumer (a submitted
study stays PENDING)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.web.support import TICKER, serve
from tests.web.support_auth import bearer, new_token, sign_in, token_app

PAGE_DATA = re.compile(
    r'<script type="application/json" id="(study-form-data|study-data)">(.*?)</script>', re.S
)


FORM_PARTS = (
    *("st-ticker", "st-rule", "st-space", "st-stops", "st-objective-1", "st-objective-2"),
    *("st-sampler", "st-n_trials", "st-timeout", "st-trading"),
)
"""The form's parts, by id."""

PAGE_PARTS = (
    *("study-history", "study-pareto", "study-importances", "study-trials"),
    *("study-controls", "study-run-best", "study-walkforward"),
)
"""The study page's parts, by id."""


def page_data(html: str) -> dict:
    match = PAGE_DATA.search(html)
    assert match, "the page carries no page data"
    return json.loads(match.group(2))


def study_body(**fields) -> dict:
    """A small study the test data (TESTCO) can serve: fast and slow searched."""
    return {
        "ticker": TICKER,
        "rule_type": "SMA_CROSS",
        "start_date": "2021-01-04",
        "end_date": "2021-06-18",
        "space": {"fast": {"low": 3, "high": 10}, "slow": {"low": 15, "high": 40, "step": 5}},
        "n_trials": 20,
        **fields,
    }


def test_the_list_page_has_the_form_its_scripts_and_the_api_urls(client):
    """/studies: the form's fields, the scripts it needs, no inline script; the page data
    names the API and the samplers."""
    response = client.get("/studies")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for part in FORM_PARTS:
        assert f'id="{part}"' in html, part
    assert "sweeps.js" in html and "studies.js" in html and "expr_help.js" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    data = page_data(html)
    assert data["submit_url"] == data["list_url"] == "/api/studies"
    assert data["page_url"] == "/studies/STUDY_ID"
    assert set(data["samplers"]) == {"tpe", "cmaes", "random", "nsga2"}
    assert data["defaults"]["objective"] == "sharpe_ratio"
    assert "EXPR" in {rule["rule_type"] for rule in data["rules"]}


def test_every_page_links_the_studies_in_its_navigation(client):
    """The navigation bar has the Studies item (active on the study pages)."""
    assert 'href="/studies">Studies</a>' in client.get("/").get_data(as_text=True)
    studies = client.get("/studies").get_data(as_text=True)
    assert 'nav-link active" href="/studies">Studies' in studies


def test_a_study_page_names_its_api_urls_and_its_controls(client):
    """/studies/<id> of a submitted study: its status, trials, run-a-trial and walk-forward
    URLs (the API's), and pause / resume / extend for its owner."""
    answer = client.post("/api/studies", json=study_body())
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    response = client.get(f"/studies/{study_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = page_data(html)
    assert data["study_id"] == study_id
    assert data["status_url"] == answer.json["status_url"] == f"/api/studies/{study_id}"
    assert data["trials_url"] == answer.json["trials_url"]
    assert data["run_trial_url"] == f"/api/studies/{study_id}/trials/TRIAL_NO/run"
    assert data["walkforward_request_url"] == f"/api/studies/{study_id}/walkforward"
    assert data["walkforward_url"] == "/walkforward"
    assert data["run_url"] == "/runs/RUN_ID"
    for action in ("pause", "resume", "extend"):
        assert data[f"{action}_url"] == f"/api/studies/{study_id}/{action}"
    for part in PAGE_PARTS:
        assert f'id="{part}"' in html, part
    assert 'id="study-readonly"' not in html
    assert "uPlot.iife.min.js" in html and "charts.js" in html


LUCK = {
    "best_trial": 7, "complete": 1733, "dsr": 0.9712, "psr": 0.9991, "n_trials": 1733,
    "trials_variance_annual": 0.081, "expected_max_sharpe_annual": 0.97, "skewness": -0.2,
    "kurtosis": 5.1, "n_returns": 1257,
    "verdict": "deflated Sharpe 0.97 after 1,733 trials (likely skill)",
}  # fmt: skip
"""A stored deflated Sharpe ratio of a best trial (``kinds.studies.deflated``'s shape)."""


def test_a_study_page_has_the_luck_card_and_its_status_carries_the_deflated_sharpe(app, client):
    """The page has the "Is the best trial luck?" card (hidden until drawn) whose script
    reads the status URL of the page data: its ``deflated`` is the study's stored one (null
    before a batch computed it)."""
    from kinds.studies.state import store_deflated
    from web.db import get_database

    answer = client.post("/api/studies", json=study_body())
    study_id = answer.json["study_id"]
    html = client.get(f"/studies/{study_id}").get_data(as_text=True)
    assert "Is the best trial luck?" in html
    for part in ("study-luck-card", "study-luck-verdict", "study-luck-table"):
        assert f'id="{part}"' in html, part
    assert re.search(r'id="study-luck-card" hidden', html)
    status_url = page_data(html)["status_url"]
    assert client.get(status_url).json["deflated"] is None
    with get_database(app).sessionmaker.begin() as session:
        store_deflated(session, study_id, LUCK)
    assert client.get(status_url).json["deflated"] == LUCK


@pytest.mark.parametrize(
    "bad_id", ["nope", "1234", str(uuid.uuid4()), str(uuid.uuid4()).upper(), "x" * 300]
)
def test_an_unknown_or_malformed_id_gets_the_html_404_page(client, bad_id):
    """No such study, or not a lower-case uuid4: the dashboard's 404 page (HTML, the id cut
    short)."""
    response = client.get(f"/studies/{bad_id}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert "study not found" in text and "x" * 81 not in text


@pytest.fixture
def token_app_(sqlite_url, redis_url, data_dir) -> Iterator[Flask]:
    """The app in AUTH_MODE=token."""
    yield from serve(token_app(sqlite_url, redis_url, data_dir))


def test_another_users_study_is_missing_until_shared_and_then_read_only(token_app_):
    """Bob gets the 404 page of alice's study; once she shares it, its page without the
    controls and with the read-only mark (the page data names no steering URL)."""
    app = token_app_
    alice, bob = new_token(app, "alice"), new_token(app, "bob")
    api = app.test_client()
    answer = api.post("/api/studies", json=study_body(), headers=bearer(alice))
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    browser = app.test_client()
    sign_in(browser, bob)
    assert browser.get(f"/studies/{study_id}").status_code == 404
    shared = api.patch(f"/api/studies/{study_id}", json={"shared": True}, headers=bearer(alice))
    assert shared.status_code == 200, shared.json
    response = browser.get(f"/studies/{study_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="study-readonly"' in html and 'id="study-controls"' not in html
    data = page_data(html)
    assert data["can_manage"] is False
    assert not {"pause_url", "resume_url", "extend_url"} & set(data)
    owner = app.test_client()
    sign_in(owner, alice)
    html = owner.get(f"/studies/{study_id}").get_data(as_text=True)
    assert 'id="study-controls"' in html and 'id="study-readonly"' not in html


@pytest.mark.parametrize("path", ["/studies", "/sweeps", "/walkforward"])
def test_the_launch_forms_offer_the_requests_booleans_as_checkboxes(client, path):
    """The study, sweep and walk-forward forms draw the run form's checkboxes (each a field
    whose default is a bool, ``SweepForm.tradingInputs``) after their trading fields."""
    html = client.get(path).get_data(as_text=True)
    data = next(
        json.loads(m.group(2))
        for m in re.finditer(
            r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S
        )
        if "trading_fields" in m.group(2)
    )
    flags = [f["name"] for f in data["trading_fields"] if isinstance(f["default"], bool)]
    assert flags == ["close_open_trades_at_end", "exit_priority"]
