"""The report-depth metrics on the run report and the portfolio report, and both reports
exported as one self-contained HTML file (``GET /api/runs/<id>/report.html``,
``GET /api/portfolios/<id>/report.html``): rendered in memory, nothing fetched from outside,
another user's run or portfolio the 404 of a missing one."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest

from adapters import tearsheet
from adapters.tearsheet import closed_trade_pnl, report_series, trade_fees
from adapters.timestamps import from_iso_utc
from metrics import REPORT_METRICS
from tests.portfolios.support import execute_item, valid_portfolio
from tests.web.support import close_app
from tests.web.support_auth import bearer, new_token, token_app
from tests.web.support_dashboard import add_pending, add_succeeded

pytestmark = pytest.mark.redis

REPORT_KEYS = [m.key for m in REPORT_METRICS]


def _self_contained(html: str) -> None:
    """No script, stylesheet, image or font to fetch: no src=, no <link>, no url(), no
    http(s) reference outside the SVG namespace."""
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "url(" not in html and "@import" not in html
    assert not re.findall(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_the_run_report_carries_every_report_metric_computed_from_its_stored_curve(app, client):
    request, result = add_succeeded(app)
    body = client.get(f"/api/runs/{request.run_id}/report").get_json()
    assert list(body["report_metrics"]) == REPORT_KEYS
    assert [d["key"] for d in body["report_definitions"]] == REPORT_KEYS
    assert all(d["note"] for d in body["report_definitions"])
    curve = result["equity_curve"]
    series = report_series(
        from_iso_utc(curve["timestamps"]),
        curve["equity"],
        252,
        closed_trade_pnl(result["trades"]),
        trade_fees(result["trades"]),
    )
    for key in REPORT_KEYS:
        assert body["report_metrics"][key] == getattr(tearsheet, key)(series), key
    assert body["report_metrics"]["omega_ratio"] is not None


def test_the_run_report_exports_as_one_self_contained_html_file(app, client):
    request, _ = add_succeeded(app)
    response = client.get(f"/api/runs/{request.run_id}/report.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert f'filename="report-{request.run_id}.html"' in response.headers["Content-Disposition"]
    html = response.get_data(as_text=True)
    _self_contained(html)
    assert html.count("<svg") == 2 and "Monthly returns" in html
    for definition in REPORT_METRICS:
        assert f">{definition.label}</td>" in html, definition.key
    assert ">Sharpe</td>" in html and "Value at risk" in html


def test_a_report_export_of_a_missing_or_unfinished_run_is_refused(app, client):
    assert client.get(f"/api/runs/{uuid.uuid4()}/report.html").status_code == 404
    pending = add_pending(app)
    assert client.get(f"/api/runs/{pending.run_id}/report.html").status_code == 409


@pytest.fixture
def token_portfolio_app(sqlite_url, redis_url, demo_data_dir):
    app = token_app(sqlite_url, redis_url, demo_data_dir)
    try:
        yield app
    finally:
        close_app(app)


def test_a_portfolio_report_has_the_metrics_of_it_and_its_benchmark_and_exports_as_html(
    token_portfolio_app,
):
    """Alice's finished portfolio: its report metrics and the benchmark's, Kelly and SQN
    none (no round trips, the reason given); the HTML file holds both columns. Bob gets the
    404 of a missing portfolio for both routes until she shares it."""
    app = token_portfolio_app
    client = app.test_client()
    alice, bob = (bearer(new_token(app, name)) for name in ("alice", "bob"))
    answer = client.post("/api/portfolios", json=valid_portfolio(), headers=alice)
    assert answer.status_code == 202, answer.json
    portfolio_id = answer.json["portfolio_id"]
    assert client.get(f"/api/portfolios/{portfolio_id}/report", headers=alice).status_code == 409
    execute_item(app, portfolio_id)
    body = client.get(f"/api/portfolios/{portfolio_id}/report", headers=alice).get_json()
    assert list(body["report_metrics"]) == list(body["benchmark_report_metrics"]) == REPORT_KEYS
    assert body["report_metrics"]["kelly_pct"] is None and body["report_metrics"]["sqn"] is None
    assert "round-trip" in body["not_applicable"]
    result = client.get(f"/api/portfolios/{portfolio_id}", headers=alice).get_json()["result"]
    stamps = np.array(result["timestamps"], dtype="datetime64[s]")
    series = report_series(stamps, result["equity"], 252)
    assert body["report_metrics"]["ulcer_index_pct"] == tearsheet.ulcer_index_pct(series)
    html_response = client.get(f"/api/portfolios/{portfolio_id}/report.html", headers=alice)
    assert html_response.status_code == 200
    html = html_response.get_data(as_text=True)
    _self_contained(html)
    assert "<th>Portfolio</th><th>Benchmark</th>" in html and "round-trip" in html
    for route in ("report", "report.html"):
        refused = client.get(f"/api/portfolios/{portfolio_id}/{route}", headers=bob)
        missing = client.get(f"/api/portfolios/{uuid.uuid4()}/{route}", headers=bob)
        assert refused.status_code == missing.status_code == 404
    client.patch(f"/api/portfolios/{portfolio_id}", json={"shared": True}, headers=alice)
    assert client.get(f"/api/portfolios/{portfolio_id}/report.html", headers=bob).status_code == 200
