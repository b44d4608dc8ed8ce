"""GET /api/runs/<run_id>/capacity and …/capacity.svg, with Flask's test client on a
temporary SQLite database and the real test Redis: the stored capacity document as it is,
its chart drawn from it; 404 for no such run (or another user's), 409 for a run without a
result or without a capacity curve (every route is also walked by
tests/web/test_web_tenancy.py); the run page shows the Capacity tab only for a run with one."""

from __future__ import annotations

import uuid

import pytest

from adapters.capacity import capacity_svg
from tests.web.support_dashboard import add_pending, add_succeeded

pytestmark = pytest.mark.redis

CAPITALS = [1e4, 1e5, 1e6]


def test_the_answer_is_the_stored_capacity_document(app, client):
    request, result = add_succeeded(app, capacity=True, capacity_capitals=CAPITALS)
    response = client.get(f"/api/runs/{request.run_id}/capacity")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"run_id": request.run_id, **result["capacity"]}
    assert body["points"]["capital"] == CAPITALS
    assert set(body) == {"run_id", "points", "reference_sharpe", "half_sharpe_capital"}
    chart = client.get(f"/api/runs/{request.run_id}/capacity.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert chart.get_data(as_text=True) == capacity_svg(result["capacity"])


def test_a_missing_run_is_404_and_one_without_a_result_or_a_curve_409(app, client):
    for run_id in (str(uuid.uuid4()), "not-a-run"):
        for suffix in ("capacity", "capacity.svg"):
            assert client.get(f"/api/runs/{run_id}/{suffix}").status_code == 404
    pending = add_pending(app, capacity=True)
    assert client.get(f"/api/runs/{pending.run_id}/capacity").status_code == 409
    plain, _ = add_succeeded(app)
    refused = client.get(f"/api/runs/{plain.run_id}/capacity")
    assert refused.status_code == 409 and "capacity true" in refused.get_json()["error"]
    assert client.get(f"/api/runs/{plain.run_id}/capacity.svg").status_code == 409


def test_the_run_page_has_a_capacity_tab_only_for_a_run_with_a_curve(app, client):
    asked, _ = add_succeeded(app, capacity=True, capacity_capitals=CAPITALS)
    page = client.get(f"/runs/{asked.run_id}").get_data(as_text=True)
    assert 'id="tab-capacity"' in page and f"/api/runs/{asked.run_id}/capacity.svg" in page
    plain, _ = add_succeeded(app)
    assert 'id="tab-capacity"' not in client.get(f"/runs/{plain.run_id}").get_data(as_text=True)


def test_the_run_form_has_the_capacity_checkbox(client):
    form = client.get("/").get_data(as_text=True)
    assert 'data-field="capacity"' in form
