"""GET /signals (web/pages/signals.py): the Signals page from a query string and from a
run's stored request, and the refusals it shows (400 page naming the field, 404 run)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.web.support import app_with_schema, serve
from tests.web.support_dashboard import add_pending

QUERY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": json.dumps({"fast": 10, "slow": 30}),
    "start_date": "2016-01-01",
    "end_date": "2020-12-31",
}


@pytest.fixture
def app(sqlite_url, redis_url, demo_data_dir):
    """The platform's app on the demo data."""
    yield from serve(app_with_schema(sqlite_url, redis_url, demo_data_dir))


def page_data(html: str) -> dict:
    """The JSON the page hands its script (``#signals-data``)."""
    match = re.search(r'<script type="application/json" id="signals-data">(.*?)</script>', html)
    return json.loads(match.group(1))


def test_the_page_analyses_the_query_string(client):
    """The table has a row per horizon; the chart data holds the window's closes and the
    same entries as POST /api/analyze_signals."""
    response = client.get("/signals", query_string={**QUERY, "horizons": "2, 10"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.findall(r'<tr data-horizon="(\d+)"', html) == ["2", "10"]
    api = client.post(
        "/api/analyze_signals",
        json={**QUERY, "params": {"fast": 10, "slow": 30}, "horizons": [2, 10]},
    ).get_json()
    data = page_data(html)
    assert len(data["series"]["entry_bars"]) == api["entries"]["count"]
    assert len(data["series"]["close"]) == api["bars"]
    assert data["forward_returns"] == api["forward_returns"]


def test_empty_params_in_the_query_are_the_defaults(client):
    """``/signals?params={}`` analyses the rule with every default, as the API does."""
    response = client.get("/signals", query_string={**QUERY, "params": "{}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    defaults = {**QUERY, "params": {"fast": 10, "slow": 20}}
    api = client.post("/api/analyze_signals", json=defaults).get_json()
    data = page_data(response.get_data(as_text=True))
    assert len(data["series"]["entry_bars"]) == api["entries"]["count"]
    assert data["forward_returns"] == api["forward_returns"]


def test_the_horizons_form_carries_the_request(client):
    """The page's horizons form repeats the analysed request in hidden fields (params as
    JSON), so sending it again analyses the same rule with the new horizons."""
    rules = [{"rule_type": "RSI"}, {"rule_type": "MACD"}]
    query = {
        **QUERY,
        "rule_type": "COMPOSITE",
        "params": json.dumps({"operator": "OR", "rules": rules}),
    }
    html = client.get("/signals", query_string=query).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    again = {name: unescape(value) for name, value in hidden.items()}
    answer = client.get("/signals", query_string={**again, "horizons": "3"})
    assert re.findall(r'<tr data-horizon="(\d+)"', answer.get_data(as_text=True)) == ["3"]
    assert page_data(answer.get_data(as_text=True))["series"] == page_data(html)["series"]


def test_a_run_opens_with_its_stored_request(app, client):
    """``?from=<run_id>``: the run's rule and window, and a link back to the run."""
    run = add_pending(
        app,
        ticker="ACME",
        start_date="2018-01-01",
        end_date="2019-12-31",
        rule_type="RSI",
        params=None,
        direction="longshort",
    )
    html = client.get(f"/signals?from={run.run_id}").get_data(as_text=True)
    assert "rsi-14-30-70" in html
    assert "2018-01-01 → 2019-12-31" in html
    assert f'href="/runs/{run.run_id}"' in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"params": "{not json"}, "params"),
        ({"params": json.dumps({"fast": 40, "slow": 30})}, "params.fast"),
        ({"ticker": "NOPE"}, "ticker"),
        ({"horizons": "1,x"}, "horizons"),
        ({"end_date": ""}, "end_date"),
    ],
)
def test_a_refused_field_is_a_400_page_naming_it(client, query, field):
    """The API's field and words, on the page (bad JSON params; a blank field is left out)."""
    response = client.get("/signals", query_string={**QUERY, **query})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(rf'id="signals-error"><span class="fw-bold">{re.escape(field)}</span>', html)
    assert "signals-data" not in html


def test_an_unknown_run_is_a_404_page(client):
    """A run id that names no run, or no run id at all."""
    assert client.get("/signals?from=00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/signals?from=nope").status_code == 404


def test_no_request_shows_how_to_open_the_page(client):
    """Nothing to analyse: a pointer to the form and the run pages, no error."""
    response = client.get("/signals")
    assert response.status_code == 200
    assert 'id="signals-empty"' in response.get_data(as_text=True)
