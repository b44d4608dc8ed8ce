"""The walk-forward pages (``web.pages.walkforward``) as the server renders them: the list
and form at /walkforward, the page of one walk-forward, the 404 page of a malformed id, and
the navigation item on every page."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.web.support import valid_walkforward

PAGE_DATA = re.compile(
    r'<script type="application/json" id="(wf-form-data|wf-data)">(.*?)</script>', re.S
)


def page_data(html: str) -> dict:
    match = PAGE_DATA.search(html)
    assert match, "the page carries no page data"
    return json.loads(match.group(2))


def test_the_list_page_has_the_form_its_scripts_and_a_content_security_policy(client):
    """/walkforward: the form's window fields, the scripts it needs, no inline script."""
    response = client.get("/walkforward")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for field in ("train_bars", "test_bars", "step_bars", "anchored", "metric", "min_trades"):
        assert f'id="w-{field}"' in html
    assert "sweeps.js" in html and "walkforward.js" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    data = page_data(html)
    assert data["submit_url"] == data["list_url"] == "/api/walkforward"
    assert data["page_url"] == "/walkforward/WF_ID"
    assert "SMA_CROSS" in {rule["rule_type"] for rule in data["rules"]}


def test_the_form_lists_the_catalog_tickers_and_the_sweep_metrics(client):
    """One ticker to choose from the data catalog, each with its timeframe; "select by"
    offers the sweep metrics with Sharpe selected (the API's default)."""
    html = client.get("/walkforward").get_data(as_text=True)
    ticker_select = html[
        html.index('id="w-ticker"') : html.index("</select>", html.index('id="w-ticker"'))
    ]
    assert 'value="TESTCO"' in ticker_select
    assert 'data-timeframe="1d"' in ticker_select  # the form's timeframe follows the ticker
    assert '<option value="sharpe_ratio" selected>' in html
    assert '<option value="max_drawdown_pct">' in html


def test_a_walkforward_page_reads_its_status_url_and_links_sweeps(client):
    """/walkforward/<id> of a submitted walk-forward: the page data names its status URL
    (the API's) and the sweep page; the page holds every chart's element."""
    answer = client.post("/api/walkforward", json=valid_walkforward())
    assert answer.status_code == 202, answer.json
    walkforward_id = answer.json["walkforward_id"]
    response = client.get(f"/walkforward/{walkforward_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = page_data(html)
    assert data["walkforward_id"] == walkforward_id
    assert data["status_url"] == answer.json["status_url"] == f"/api/walkforward/{walkforward_id}"
    assert data["sweep_url"] == "/sweeps/SWEEP_ID"
    for part in ("wf-timeline", "wf-equity", "wf-folds", "wf-stability", "wf-kpis", "folds-csv"):
        assert f'id="{part}"' in html
    assert "uPlot.iife.min.js" in html and "charts.js" in html


@pytest.mark.parametrize(
    "bad_id", ["nope", "1234", str(uuid.uuid4()), str(uuid.uuid4()).upper(), "x" * 300]
)
def test_an_unknown_or_malformed_id_gets_the_html_404_page(client, bad_id):
    """No such walk-forward, or not a lower-case uuid4: the dashboard's 404 page (HTML, the
    id cut short)."""
    response = client.get(f"/walkforward/{bad_id}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "walk-forward not found" in html
    assert "x" * 81 not in html


@pytest.mark.parametrize("url", ["/", "/runs", "/sweeps", "/walkforward"])
def test_every_page_has_the_walk_forward_nav_item(client, url):
    """The navigation bar links /walkforward; it is the active item on its own page only."""
    html = client.get(url).get_data(as_text=True)
    item = re.search(r'<a class="nav-link( active)?" href="/walkforward">Walk-forward</a>', html)
    assert item, url
    assert bool(item.group(1)) == (url == "/walkforward")
