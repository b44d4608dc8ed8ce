"""The portfolio pages (``web.pages.portfolios``) as the server renders them: the form and
list at /portfolios (the universe picker grouped by sector, the allocation, rebalance and
cost inputs, the strategy language's reference), the page of one portfolio, the 404 page of
an unknown or malformed id, and the navigation item, shown only where the pages are
registered, and another user's portfolio: the same 404 page until it is shared."""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

import data
from kinds.portfolios.request_model import PortfolioRequestBody
from tests.web.support import app_with_schema, close_app, serve
from tests.web.support_auth import bearer, new_token, token_app
from web.pages import portfolios

PAGE_DATA = re.compile(
    r'<script type="application/json" id="(pf-form-data|pf-data)">(.*?)</script>', re.S
)

SHIPPED_DATA = Path(data.__file__).resolve().parent


def with_pages(app: Flask) -> Flask:
    """``app`` with the portfolio pages, registered here unless the portfolio kind's
    ``WorkKind.blueprints`` registered them already."""
    if portfolios.bp.name not in app.blueprints:
        app.register_blueprint(portfolios.bp)
    return app


def page_data(html: str) -> dict:
    match = PAGE_DATA.search(html)
    assert match, "the page carries no page data"
    return json.loads(match.group(2))


@pytest.fixture
def app(sqlite_url: str, redis_url: str) -> Iterator[Flask]:
    """The platform's app on the shipped data (the demo universe) with the portfolio pages."""
    yield from serve(with_pages(app_with_schema(sqlite_url, redis_url, SHIPPED_DATA)))


def test_the_form_offers_the_daily_tickers_and_a_button_per_sector(client):
    """/portfolios: one checkbox per daily ticker (not the hourly VANDELAY) carrying its
    sector, a button per demo-universe sector, the allocation, rebalance and cost inputs,
    and its scripts under the page's content security policy."""
    response = client.get("/portfolios")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    boxes = re.findall(r'type="checkbox" value="([A-Z]+)" data-sector="([^"]*)"', html)
    catalog = data.load_catalog(SHIPPED_DATA, user_dir=None).tickers()
    daily = [i.ticker for i in catalog if i.timeframe == "1d" and not i.index]
    assert sorted(dict(boxes)) == daily and "VANDELAY" not in dict(boxes)
    assert dict(boxes)["PTRX"] == "Energy" and dict(boxes)["ACME"] == ""
    sectors = re.findall(r'data-group="([^"]*)"', html)
    assert sectors == ["*", "Consumer", "Energy", "Financials", "Health Care", "Industrials",
                       "Technology", ""]  # fmt: skip
    for field in ("pf-method", "pf-score", "pf-filter", "pf-top_n", "pf-weighting", "pf-params",
                  "pf-weights", "pf-schedule", "pf-every", "pf-drift", "pf-capital", "pf-fee",
                  "pf-slippage", "pf-start", "pf-end"):  # fmt: skip
        assert f'id="{field}"' in html, field
    for script in ("expr_help.js", "portfolio_form.js"):
        assert script in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


NOT_FORM_INPUTS = {
    "portfolio_id": "a new one per submission",
    "timeframe": "daily only",
    "capacity_capitals": "the capacity checkbox takes the 12 default capitals; a list of "
    "others is sent through the API or the client",
}
"""Request fields the form leaves to their defaults, and why."""
FORM_NAMES = {"params": "allocation.params"}
"""Request fields whose form input carries another ``data-name`` (the ranking's values sit
with its score)."""


def _request_settings() -> dict[str, dict]:
    """Every field of the portfolio request model, by dotted path, with its JSON schema
    (its bounds): the nested models (allocation, rebalance, an optional strategy) walked
    into."""
    schema = PortfolioRequestBody.model_json_schema()
    models = schema["$defs"]

    def walk(properties: dict, prefix: str) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for name, field in properties.items():
            refs = [o.get("$ref", "") for o in field.get("anyOf", [field])]
            ref = next((r for r in refs if r), "").rsplit("/", 1)[-1]
            if ref in models:
                out |= walk(models[ref]["properties"], f"{prefix}{name}.")
            else:
                options = field.get("anyOf", [field])
                out[prefix + name] = next((o for o in options if o.get("type") != "null"), {})
        return out

    return walk(schema["properties"], "")


def test_the_form_has_an_input_for_every_setting_the_request_model_accepts(client):
    """Each field of the request model (but the id and the timeframe) has its input, named by
    its dotted path, and a numeric one carries the model's bounds as min and max."""
    html = client.get("/portfolios").get_data(as_text=True)
    inputs = {m.group(1): m.group(0) for m in re.finditer(r'<[^>]*data-name="([^"]+)"[^>]*>', html)}
    settings = _request_settings()
    assert {"allocation.max_sector_weight", "rebalance.min_trade", "cash_rate"} <= set(settings)
    for path, field in settings.items():
        if path in NOT_FORM_INPUTS:
            continue
        tag = inputs.get(FORM_NAMES.get(path, path))
        assert tag, f"the form has no input for {path}"
        shown = {k: float(v) for k, v in re.findall(r'\b(min|max)="([-0-9.]+)"', tag)}
        if "minimum" in field:
            assert shown.get("min") == field["minimum"], path
        if "exclusiveMinimum" in field:  # HTML has no exclusive bound: at or inside it
            assert shown.get("min", -math.inf) >= field["exclusiveMinimum"], path
        if "maximum" in field:
            assert shown.get("max") == field["maximum"], path
        if "exclusiveMaximum" in field:
            assert shown.get("max", math.inf) <= field["exclusiveMaximum"], path


def test_a_portfolio_page_names_its_metrics_and_says_its_construction(client):
    """The page data carries the registry's label, unit and note of each metric the table
    shows (no raw key), and the page's first line says the request's construction."""
    request = {"tickers": ["ACME", "GLOBEX", "PTRX"], "start_date": "2020-01-02",
               "end_date": "2020-12-31", "allocation": {"method": "equal",
               "weighting": "equal_risk_contribution", "max_weight": 0.4}}  # fmt: skip
    answer = client.post("/api/portfolios", json=request)
    assert answer.status_code == 202, answer.json
    html = client.get(f"/portfolios/{answer.json['portfolio_id']}").get_data(as_text=True)
    shown = {d["key"]: d for d in page_data(html)["metrics"]}
    assert shown["total_return_pct"]["label"] == "Total return"
    assert shown["turnover_pct"]["unit"] == "%" and shown["fees_paid"]["label"] == "Fees paid"
    assert all(d["note"] and d["label"] != d["key"] for d in shown.values())
    assert "num_trades" not in shown  # the orders row says it
    setup = re.search(r'id="pf-setup">([^<]*)<', html).group(1)
    assert "equal weight · risk parity · 63-day risk lookback · max weight 0.4" in setup


def test_the_form_data_names_the_api_and_the_strategy_language(client):
    """The page data: the API to POST to and list from, the page URL pattern, the form's
    momentum defaults and the language reference the help panel is built from."""
    data_ = page_data(client.get("/portfolios").get_data(as_text=True))
    assert data_["submit_url"] == data_["list_url"] == "/api/portfolios"
    assert data_["page_url"] == "/portfolios/PORTFOLIO_ID"
    assert data_["defaults"]["score"] == "close / sma(close, $lookback) - 1"
    assert {"sma"} <= {fn["name"] for fn in data_["language"]["functions"]}


def test_a_portfolio_page_polls_its_status_url(client):
    """/portfolios/<id> of a submitted portfolio: the page data names its status URL (the
    API's), and the page holds the chart, contribution, orders and metrics containers."""
    request = {"tickers": ["ACME", "GLOBEX", "PTRX"], "start_date": "2020-01-02",
               "end_date": "2020-12-31"}  # fmt: skip
    answer = client.post("/api/portfolios", json=request)
    assert answer.status_code == 202, answer.json
    portfolio_id = answer.json["portfolio_id"]
    response = client.get(f"/portfolios/{portfolio_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data_ = page_data(html)
    assert {k: data_[k] for k in ("portfolio_id", "status_url")} == {
        "portfolio_id": portfolio_id,
        "status_url": answer.json["status_url"],
    }
    assert answer.json["status_url"] == f"/api/portfolios/{portfolio_id}"
    for element in ("pf-equity", "pf-drawdown", "pf-weights", "pf-turnover", "pf-contrib",
                    "pf-orders", "pf-metrics", "pf-kpis"):  # fmt: skip
        assert f'id="{element}"' in html, element
    assert "portfolio.js" in html and "charts.js" in html


@pytest.mark.parametrize(
    "bad", ["nope", "123", str(uuid.uuid4()), str(uuid.uuid4()).upper(), "a" * 300]
)
def test_an_unknown_or_malformed_id_is_the_404_page(client, bad):
    """No such portfolio, or not a lower-case UUID4: the HTML 404 page, naming at most 80
    characters of the id."""
    response = client.get(f"/portfolios/{bad}", headers={"Accept": "text/html"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f"There is no portfolio with id {bad[:80]}." in html


def test_the_navigation_links_the_portfolios_only_where_they_are_registered(
    client, sqlite_url, redis_url
):
    """The navigation bar links /portfolios once the pages are registered, and not on an
    app without them (a deployment without the portfolio kind)."""
    assert 'href="/portfolios"' in client.get("/").get_data(as_text=True)
    bare = app_with_schema(sqlite_url, redis_url, SHIPPED_DATA)
    try:
        bare.blueprints.pop(portfolios.bp.name, None)  # as on a platform without the kind
        assert 'href="/portfolios"' not in bare.test_client().get("/").get_data(as_text=True)
    finally:
        close_app(bare)


def test_another_users_portfolio_is_the_404_page_until_shared(sqlite_url, redis_url):
    """In AUTH_MODE=token, bob gets alice's portfolio page as the 404 page of an id that
    does not exist; once alice shares it, he gets the page."""
    app = with_pages(token_app(sqlite_url, redis_url, SHIPPED_DATA))
    try:
        client = app.test_client()
        alice, bob = (bearer(new_token(app, name)) for name in ("alice", "bob"))
        request = {"tickers": ["ACME", "PTRX"], "start_date": "2020-01-02",
                   "end_date": "2020-12-31"}  # fmt: skip
        answer = client.post("/api/portfolios", json=request, headers=alice)
        assert answer.status_code == 202, answer.json
        portfolio_id = answer.json["portfolio_id"]
        page = f"/portfolios/{portfolio_id}"
        assert client.get(page, headers=alice).status_code == 200
        refused = client.get(page, headers=bob)
        missing = client.get(f"/portfolios/{uuid.uuid4()}", headers=bob)
        assert refused.status_code == missing.status_code == 404
        assert "portfolio not found" in refused.get_data(as_text=True)
        share = client.patch(
            f"/api/portfolios/{portfolio_id}", json={"shared": True}, headers=alice
        )
        assert share.status_code == 200, share.json
        assert client.get(page, headers=bob).status_code == 200
    finally:
        close_app(app)
